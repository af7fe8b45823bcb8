// @ts-check
import { changePassword } from './api.js';
import { reloadApiKeys } from './api-keys-view.js';
import { byId, whileBusy } from './dom.js';
import { ApiError, describeError, SessionEndedError } from './errors.js';
import { reloadIdentities } from './identities-view.js';
import { refreshMfa } from './mfa-view.js';
import { reloadQuota } from './quota-view.js';
import { reloadSessions } from './sessions-view.js';
import { reloadUsage } from './usage-view.js';

/**
 * The Account dialog: the quota, sessions, two-factor sign-in, sign-in providers, API keys and their usage, and
 * the password.
 */

const dialog = byId('account-dialog', HTMLDialogElement);
const notice = byId('account-notice', HTMLElement);
const passwordForm = byId('password-change-form', HTMLFormElement);
const currentPassword = byId('password-change-current', HTMLInputElement);
const newPassword = byId('password-change-new', HTMLInputElement);
const passwordError = byId('password-change-error', HTMLElement);
const passwordSubmit = byId('password-change-submit', HTMLButtonElement);

/** @type {() => void} */
let onPasswordChanged = () => {};

/**
 * @param {{ notice?: string, onPasswordChanged: () => void }} options what to say on top (such as a provider just
 *   linked), and what to do once the password changed (every session has ended, this one too)
 */
export async function openAccount(options) {
  onPasswordChanged = options.onPasswordChanged;
  notice.textContent = options.notice ?? '';
  currentPassword.value = '';
  newPassword.value = '';
  passwordError.textContent = '';
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

byId('account-close', HTMLButtonElement).addEventListener('click', closeAccount);
