// @ts-check
import { requestPasswordReset, resetPassword } from './api.js';
import { byId, whileBusy } from './dom.js';
import { ApiError, describeError } from './errors.js';

// "Forgot password?" and the "choose a new password" form a reset link opens.

const forgotForm = byId('forgot-form', HTMLFormElement);
const forgotEmail = byId('forgot-email', HTMLInputElement);
const forgotStatus = byId('forgot-status', HTMLElement);
const forgotError = byId('forgot-error', HTMLElement);
const forgotSubmit = byId('forgot-submit', HTMLButtonElement);
const resetForm = byId('reset-form', HTMLFormElement);
const resetPasswordInput = byId('reset-password', HTMLInputElement);
const resetError = byId('reset-error', HTMLElement);
const resetSubmit = byId('reset-submit', HTMLButtonElement);

/** @type {() => void} */
let onBack = () => {};
/** @type {(notice: string) => void} */
let onDone = () => {};
let token = '';

byId('forgot-back', HTMLButtonElement).addEventListener('click', () => onBack());
byId('reset-back', HTMLButtonElement).addEventListener('click', () => onBack());

forgotForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  forgotError.textContent = '';
  forgotStatus.textContent = '';
  const email = forgotEmail.value.trim();
  if (!email) {
    forgotError.textContent = 'Enter your email address.';
    forgotEmail.focus();
    return;
  }
  try {
    await whileBusy(forgotSubmit, 'Sending…', () => requestPasswordReset(email));
    // The server answers alike for every address, so the page cannot say more than this either.
    forgotStatus.textContent = 'If an account exists for this email, a link is on its way. Check your mail.';
  } catch (failure) {
    forgotError.textContent = describeError(failure);
  }
});

resetForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  resetError.textContent = '';
  if (resetPasswordInput.value.length < 8) {
    resetError.textContent = 'Choose a password of at least 8 characters.';
    resetPasswordInput.focus();
    return;
  }
  try {
    await whileBusy(resetSubmit, 'Setting…', () => resetPassword(token, resetPasswordInput.value));
    resetPasswordInput.value = '';
    token = '';
    onDone('Your new password is set, and every device was signed out. Sign in with the new password.');
  } catch (failure) {
    resetError.textContent =
      failure instanceof ApiError && failure.code === 'INVALID_RESET_TOKEN'
        ? 'This link does not work any more: it was used already, or it has expired. Ask for a new one.'
        : describeError(failure);
  }
});

/**
 * Shows the form asking for a reset link.
 * @param {{ email: string, onBack: () => void }} options
 */
export function showForgot(options) {
  onBack = options.onBack;
  hidePasswordForms();
  forgotEmail.value = options.email;
  forgotForm.hidden = false;
  forgotEmail.focus();
}

/**
 * Shows the "choose a new password" form for a reset link's token.
 * @param {{ token: string, onBack: () => void, onDone: (notice: string) => void }} options
 */
export function showReset(options) {
  ({ token, onBack, onDone } = options);
  hidePasswordForms();
  resetForm.hidden = false;
  resetPasswordInput.focus();
}

export function hidePasswordForms() {
  forgotForm.hidden = true;
  resetForm.hidden = true;
  forgotStatus.textContent = '';
  forgotError.textContent = '';
  resetError.textContent = '';
}
