// @ts-check
import { hideAuth, showAuth, showPasswordReset } from './auth-view.js';
import { loadModels, openConversation, openNewChat, resetChat, showError, startChat } from './chat-view.js';
import { byId, whileBusy } from './dom.js';
import { describeError } from './errors.js';
import { currentUser, onSessionEnded, restore, signOut } from './session.js';
import { closeSessions, openSessions } from './sessions-view.js';
import { clearList, resetList } from './sidebar.js';

/** @typedef {import('./session.js').User} User */

const boot = byId('boot', HTMLElement);
const chatView = byId('chat-view', HTMLElement);
const userName = byId('user-name', HTMLElement);
const logoutButton = byId('logout', HTMLButtonElement);
const sidebarToggle = byId('sidebar-toggle', HTMLButtonElement);
const newChatButton = byId('new-chat', HTMLButtonElement);

/**
 * @param {string} [notice] why the person is here
 * @param {{ sessionEnded?: boolean }} [options]
 */
function toSignIn(notice, { sessionEnded = false } = {}) {
  closeSessions();
  chatView.hidden = true;
  resetChat({ keepDraft: sessionEnded });
  clearList();
  showAuth({ notice, onSignedIn: enterChat });
}

/** @param {User} user */
function enterChat(user) {
  hideAuth();
  userName.textContent = user.displayName || user.email;
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

byId('sessions-button', HTMLButtonElement).addEventListener('click', () => void openSessions());

onSessionEnded((message) => toSignIn(message, { sessionEnded: true }));

// Phones: the conversation list is a panel over the chat.
/** @param {boolean} open */
function setSidebarOpen(open) {
  chatView.classList.toggle('sidebar-open', open);
  sidebarToggle.setAttribute('aria-expanded', String(open));
}
sidebarToggle.addEventListener('click', () => setSidebarOpen(!chatView.classList.contains('sidebar-open')));
// Choosing a conversation closes the panel, also when it is the one already open (no hashchange then).
byId('conversation-list', HTMLUListElement).addEventListener('click', (event) => {
  if (event.target instanceof Element && event.target.closest('a')) setSidebarOpen(false);
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
  try {
    const user = await restore();
    boot.hidden = true;
    if (user) enterChat(user);
    else toSignIn();
  } catch (error) {
    boot.hidden = true;
    toSignIn(`Could not check whether you are signed in. ${describeError(error)}`);
  }
}

void start();
