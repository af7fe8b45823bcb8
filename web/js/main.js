// @ts-check
import { closeAccount, openAccount } from './account-view.js';
import { closeAdmin, openAdmin } from './admin-view.js';
import { describeSignInError, hideAuth, showAuth, showMfaStep, showPasswordReset } from './auth-view.js';
import { loadModels, openConversation, openNewChat, resetChat, showError, startChat } from './chat-view.js';
import { byId, whileBusy } from './dom.js';
import { describeError } from './errors.js';
import { providerLabel, reloadIdentities } from './identities-view.js';
import { currentUser, onSessionEnded, restore, signOut } from './session.js';
import { clearList, resetList } from './sidebar.js';
import { state } from './state.js';

/** @typedef {import('./session.js').User} User */

const boot = byId('boot', HTMLElement);
const chatView = byId('chat-view', HTMLElement);
const userName = byId('user-name', HTMLElement);
const logoutButton = byId('logout', HTMLButtonElement);
const sidebarToggle = byId('sidebar-toggle', HTMLButtonElement);
const newChatButton = byId('new-chat', HTMLButtonElement);
const adminButton = byId('admin-button', HTMLButtonElement);

/**
 * @param {string} [notice] why the person is here
 * @param {{ sessionEnded?: boolean }} [options]
 */
function toSignIn(notice, { sessionEnded = false } = {}) {
  closeAccount();
  closeAdmin();
  chatView.hidden = true;
  resetChat({ keepDraft: sessionEnded });
  clearList();
  showAuth({ notice, onSignedIn: enterChat });
}

/** @param {User} user */
function showUserName(user) {
  userName.textContent = user.displayName || user.email;
}

/** @param {User} user */
function enterChat(user) {
  hideAuth();
  showUserName(user);
  adminButton.hidden = user.role !== 'admin';
  startChat(user.id);
  chatView.hidden = false;
  resetList();
  void loadModels();
  route();
}

/** The address says which conversation is open: #/c/<id>, or nothing for a new chat. */
function route() {
  if (!currentUser()) return;
  setSidebarOpen(false);
  const match = /^#\/c\/([0-9a-f-]{36})$/i.exec(location.hash);
  if (match) void openConversation(match[1]);
  else openNewChat();
}

/** The token of a password-reset link (`#reset=<token>`), or null. */
const resetToken = () => /^#reset=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1] ?? null;

/**
 * What a sign-in provider's round trip came back with: `#signin-error=<code>`, `#signin-mfa=<mfaToken>` (two-factor
 * sign-in still to do) or `#linked=<provider>`; null for any other address.
 * @returns {{ kind: 'signin-error' | 'signin-mfa' | 'linked', value: string } | null}
 */
function providerReturn() {
  const match = /^#(signin-error|signin-mfa|linked)=([A-Za-z0-9_.-]+)$/.exec(location.hash);
  return match ? { kind: /** @type {'signin-error' | 'signin-mfa' | 'linked'} */ (match[1]), value: match[2] } : null;
}

const passwordChanged = () =>
  void signOut()
    .catch(() => {})
    .then(() => toSignIn('Your password was changed and every device was signed out. Sign in with the new one.'));

// The server has ended every session of the account; signing out still clears this browser's cookie.
const accountDeleted = () =>
  void signOut()
    .catch(() => {})
    .then(() => toSignIn('Your account was deleted, with everything in it.'));

/** @param {string} [notice] */
const showAccount = (notice) =>
  void openAccount({
    notice,
    onPasswordChanged: passwordChanged,
    onNameChanged: showUserName,
    onAccountDeleted: accountDeleted,
  });

window.addEventListener('hashchange', () => {
  // A reset link pasted into an open tab: start over, as if it had been opened fresh.
  if (resetToken()) location.reload();
  else route();
});

newChatButton.addEventListener('click', () => {
  if (location.hash) location.hash = '';
  else route();
});

logoutButton.addEventListener('click', async () => {
  try {
    await whileBusy(logoutButton, 'Logging out…', signOut);
    toSignIn('You have logged out.');
  } catch (error) {
    showError(error);
  }
});

byId('account-button', HTMLButtonElement).addEventListener('click', () => showAccount());
adminButton.addEventListener('click', () => {
  const user = currentUser();
  if (user) void openAdmin({ userId: user.id });
});

onSessionEnded((message) => toSignIn(message, { sessionEnded: true }));

// Phones: the conversation list is a panel over the chat.
/** @param {boolean} open */
function setSidebarOpen(open) {
  chatView.classList.toggle('sidebar-open', open);
  sidebarToggle.setAttribute('aria-expanded', String(open));
}
sidebarToggle.addEventListener('click', () => setSidebarOpen(!chatView.classList.contains('sidebar-open')));
// Choosing a conversation closes the panel, also when it is the one already open (no hashchange then); choosing
// again one that failed to open tries again.
byId('conversation-list', HTMLUListElement).addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a') : null;
  if (!link) return;
  setSidebarOpen(false);
  const id = link.closest('li')?.dataset.id;
  if (id && id === state.unopened && link.getAttribute('href') === location.hash) void openConversation(id);
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && chatView.classList.contains('sidebar-open')) {
    setSidebarOpen(false);
    sidebarToggle.focus();
  }
});

async function start() {
  const token = resetToken();
  if (token) {
    // Out of the address bar and the history at once: the token opens the account until it is used.
    history.replaceState(null, '', location.pathname + location.search);
    boot.hidden = true;
    chatView.hidden = true;
    showPasswordReset({ token, onSignedIn: enterChat });
    return;
  }
  const returned = providerReturn();
  // Out of the address bar and the history: a reload must not replay it, and an mfaToken is a credential.
  if (returned) history.replaceState(null, '', location.pathname + location.search);
  if (returned?.kind === 'signin-mfa') {
    boot.hidden = true;
    showMfaStep({ mfaToken: returned.value, onSignedIn: enterChat });
    return;
  }
  try {
    const user = await restore();
    boot.hidden = true;
    const problem = returned?.kind === 'signin-error' ? describeSignInError(returned.value) : undefined;
    if (!user) {
      toSignIn(problem);
      return;
    }
    enterChat(user);
    // A link started from the Account dialog comes back here, signed in: show how it went where it began.
    if (returned?.kind === 'linked') {
      await reloadIdentities();
      showAccount(`Linked ${providerLabel(returned.value)}: you can now sign in with it.`);
    } else if (problem) showAccount(problem);
  } catch (error) {
    boot.hidden = true;
    toSignIn(`Could not check whether you are signed in. ${describeError(error)}`);
  }
}

void start();
