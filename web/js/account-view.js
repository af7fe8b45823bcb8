// @ts-check
import { changePassword, deleteAccount, updateDisplayName } from './api.js';
import { reloadApiKeys } from './api-keys-view.js';
import { confirmDialog } from './dialogs.js';
import { byId, whileBusy } from './dom.js';
import { ApiError, describeError, SessionEndedError } from './errors.js';
import { reloadIdentities } from './identities-view.js';
import { refreshMfa } from './mfa-view.js';
import { reloadQuota } from './quota-view.js';
import { reloadSessions } from './sessions-view.js';
import { currentUser, updateCurrentUser } from './session.js';
import { reloadUsage } from './usage-view.js';

/** @typedef {import('./session.js').User} User */

/**
 * The Account dialog: the person's name, the quota, sessions, two-factor sign-in, sign-in providers, API keys and
 * their usage, the password, and deleting the account.
 */

const dialog = byId('account-dialog', HTMLDialogElement);
const notice = byId('account-notice', HTMLElement);
const nameForm = byId('display-name-form', HTMLFormElement);
const nameInput = byId('display-name-input', HTMLInputElement);
const nameStatus = byId('display-name-status', HTMLElement);
const nameError = byId('display-name-error', HTMLElement);
const nameSubmit = byId('display-name-submit', HTMLButtonElement);
const passwordForm = byId('password-change-form', HTMLFormElement);
const currentPassword = byId('password-change-current', HTMLInputElement);
const newPassword = byId('password-change-new', HTMLInputElement);
const passwordError = byId('password-change-error', HTMLElement);
const passwordSubmit = byId('password-change-submit', HTMLButtonElement);
const deleteForm = byId('account-delete-form', HTMLFormElement);
const deletePassword = byId('account-delete-password', HTMLInputElement);
const deleteError = byId('account-delete-error', HTMLElement);
const deleteSubmit = byId('account-delete-submit', HTMLButtonElement);

/** @type {() => void} */
let onPasswordChanged = () => {};
/** @type {(user: User) => void} */
let onNameChanged = () => {};
/** @type {() => void} */
let onAccountDeleted = () => {};

/**
 * @param {{ notice?: string, onPasswordChanged: () => void, onNameChanged: (user: User) => void,
 *   onAccountDeleted: () => void }} options what to say on top (such as a provider just linked), what to do once
 *   the password changed (every session has ended, this one too), once the name changed (show it where the page
 *   shows the person), and once the account is deleted (its sessions with it)
 */
export async function openAccount(options) {
  ({ onPasswordChanged, onNameChanged, onAccountDeleted } = options);
  notice.textContent = options.notice ?? '';
  nameInput.value = currentUser()?.displayName ?? '';
  nameInput.removeAttribute('aria-invalid');
  nameStatus.textContent = '';
  nameError.textContent = '';
  currentPassword.value = '';
  newPassword.value = '';
  passwordError.textContent = '';
  deletePassword.value = '';
  deleteError.textContent = '';
  if (!dialog.open) dialog.showModal();
  await Promise.all([
    reloadQuota(),
    reloadSessions(),
    refreshMfa(),
    reloadIdentities(),
    reloadApiKeys(),
    reloadUsage(),
  ]);
}

/** Closes it, as when the person signs out or their session ends. */
export function closeAccount() {
  if (dialog.open) dialog.close();
}

nameForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  nameStatus.textContent = '';
  nameError.textContent = '';
  nameInput.removeAttribute('aria-invalid');
  const name = nameInput.value.trim();
  if (!name) {
    nameError.textContent = 'Enter a name to be shown as.';
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
    return;
  }
  try {
    const user = await whileBusy(nameSubmit, 'Saving…', () => updateDisplayName(name));
    // Signed out, or in as someone else, meanwhile: the page shows someone else's name now, or none.
    if (currentUser()?.id !== user.id) return;
    updateCurrentUser(user);
    nameInput.value = user.displayName;
    nameStatus.textContent = 'Saved your name.';
    onNameChanged(user);
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    // A 400 gives the server's reason: a name it cannot show (only invisible characters, control characters).
    nameError.textContent = describeError(failure);
    if (failure instanceof ApiError && failure.status === 400) {
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.focus();
    }
  }
});

passwordForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  passwordError.textContent = '';
  const problem = !currentPassword.value
    ? 'Enter your current password.'
    : newPassword.value.length < 8
      ? 'Choose a new password of at least 8 characters.'
      : '';
  if (problem) {
    passwordError.textContent = problem;
    (!currentPassword.value ? currentPassword : newPassword).focus();
    return;
  }
  try {
    await whileBusy(passwordSubmit, 'Changing…', () => changePassword(currentPassword.value, newPassword.value));
    currentPassword.value = '';
    newPassword.value = '';
    closeAccount();
    onPasswordChanged();
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    passwordError.textContent =
      failure instanceof ApiError && failure.code === 'INVALID_CREDENTIALS'
        ? 'The current password is not right.'
        : describeError(failure);
  }
});

deleteForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  deleteError.textContent = '';
  if (!deletePassword.value) {
    deleteError.textContent = 'Enter your password.';
    deletePassword.focus();
    return;
  }
  const sure = await confirmDialog({
    title: 'Delete your account?',
    text:
      'Your account is deleted with all its conversations, messages, files and API keys, and every device is ' +
      'signed out. This cannot be undone.',
    confirmLabel: 'Delete account',
  });
  if (!sure) return;
  try {
    await whileBusy(deleteSubmit, 'Deleting…', () => deleteAccount(deletePassword.value));
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    // Other refusals in the server's words: no password yet (PASSWORD_NOT_SET), the only admin (LAST_ADMIN).
    deleteError.textContent =
      failure instanceof ApiError && failure.code === 'INVALID_CREDENTIALS'
        ? 'The password is not right. Your account was not deleted.'
        : describeError(failure);
    deletePassword.focus();
    return;
  }
  deletePassword.value = '';
  closeAccount();
  onAccountDeleted();
});

byId('account-close', HTMLButtonElement).addEventListener('click', closeAccount);
