// @ts-check
import { getAuthProviders, providerStartUrl } from './api.js';
import { byId, h, whileBusy } from './dom.js';
import { ApiError, describeError } from './errors.js';
import { hidePasswordForms, showForgot, showReset } from './password-view.js';
import { completeSignIn, signIn, signUp } from './session.js';

/** @typedef {import('./session.js').User} User */

const view = byId('auth-view', HTMLElement);
const form = byId('auth-form', HTMLFormElement);
const title = byId('auth-title', HTMLElement);
const notice = byId('auth-notice', HTMLElement);
const email = byId('auth-email', HTMLInputElement);
const password = byId('auth-password', HTMLInputElement);
const passwordHint = byId('auth-password-hint', HTMLElement);
const nameRow = byId('auth-name-row', HTMLElement);
const displayName = byId('auth-name', HTMLInputElement);
const error = byId('auth-error', HTMLElement);
const submit = byId('auth-submit', HTMLButtonElement);
const switchText = byId('auth-switch-text', HTMLElement);
const switchButton = byId('auth-switch', HTMLButtonElement);
const switchRow = byId('auth-switch-row', HTMLElement);
const forgotRow = byId('auth-forgot-row', HTMLElement);
const mfaForm = byId('auth-mfa-form', HTMLFormElement);
const mfaCode = byId('auth-mfa-code', HTMLInputElement);
const mfaError = byId('auth-mfa-error', HTMLElement);
const mfaSubmit = byId('auth-mfa-submit', HTMLButtonElement);
const providersBox = byId('auth-providers', HTMLElement);
const providerList = byId('auth-provider-list', HTMLUListElement);
/** From the password step; works once, for a few minutes. */
let mfaToken = '';

let signingUp = false;
/** Whether the server takes sign-ups; asked once, and taken as yes until it answers (sign-up then says why not). */
let registrationOpen = true;
/** @type {Promise<void> | undefined} */
let providersAsked;
/** @type {(user: User) => void} */
let onSignedIn = () => {};

function applyMode() {
  title.textContent = signingUp ? 'Create an account' : 'Sign in';
  submit.textContent = signingUp ? 'Create account' : 'Sign in';
  switchText.textContent = signingUp ? 'Already have an account?' : 'New here?';
  switchButton.textContent = signingUp ? 'Sign in instead' : 'Create an account';
  password.autocomplete = signingUp ? 'new-password' : 'current-password';
  passwordHint.hidden = !signingUp;
  nameRow.hidden = !signingUp;
  forgotRow.hidden = signingUp;
  switchRow.hidden = !registrationOpen && !signingUp;
  error.textContent = '';
}

function askProviders() {
  providersAsked ??= getAuthProviders().then(
    (providers) => {
      registrationOpen = providers.registration;
      if (!registrationOpen) signingUp = false;
      // Plain links: the provider's pages need the whole window, and come back to this page signed in.
      providerList.replaceChildren(
        ...providers.items.map((provider) =>
          h('li', {}, h('a', { href: providerStartUrl(provider.id) }, `Continue with ${provider.label}`)),
        ),
      );
      providersBox.hidden = providers.items.length === 0;
      applyMode();
    },
    () => {
      providersAsked = undefined;
    },
  );
}

/** Shows the sign-in form itself, rather than one of the password forms. */
function showForm() {
  hidePasswordForms();
  mfaForm.hidden = true;
  mfaToken = '';
  form.hidden = false;
  applyMode();
  email.focus();
}

byId('auth-forgot', HTMLButtonElement).addEventListener('click', () => {
  form.hidden = true;
  notice.textContent = '';
  showForgot({ email: email.value.trim(), onBack: showForm });
});

switchButton.addEventListener('click', () => {
  signingUp = !signingUp;
  notice.textContent = '';
  applyMode();
  email.focus();
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const problem = !email.value.trim()
    ? 'Enter your email address.'
    : !password.value
      ? 'Enter your password.'
      : signingUp && password.value.length < 8
        ? 'Choose a password of at least 8 characters.'
        : '';
  if (problem) {
    error.textContent = problem;
    (!email.value.trim() ? email : password).focus();
    return;
  }
  try {
    const answer = await whileBusy(submit, signingUp ? 'Creating account…' : 'Signing in…', () =>
      signingUp
        ? signUp(email.value.trim(), password.value, displayName.value.trim())
        : signIn(email.value.trim(), password.value),
    );
    password.value = '';
    if ('mfaToken' in answer) askForCode(answer.mfaToken);
    else onSignedIn(answer);
  } catch (failure) {
    error.textContent =
      failure instanceof ApiError && failure.status === 409
        ? 'An account with this email already exists. Sign in instead.'
        : describeError(failure);
  }
});

/** @param {string} token */
function askForCode(token) {
  mfaToken = token;
  form.hidden = true;
  mfaForm.hidden = false;
  mfaCode.value = '';
  mfaError.textContent = '';
  mfaCode.focus();
}

mfaForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  mfaError.textContent = '';
  if (!mfaCode.value.trim()) {
    mfaError.textContent = 'Enter the code from your authenticator app, or a backup code.';
    mfaCode.focus();
    return;
  }
  try {
    const user = await whileBusy(mfaSubmit, 'Checking…', () => completeSignIn(mfaToken, mfaCode.value.trim()));
    mfaCode.value = '';
    mfaForm.hidden = true;
    onSignedIn(user);
  } catch (failure) {
    mfaError.textContent =
      failure instanceof ApiError && failure.code === 'INVALID_TOKEN'
        ? 'This sign-in took too long. Sign in again with your password.'
        : describeError(failure);
  }
});

byId('auth-mfa-back', HTMLButtonElement).addEventListener('click', showForm);

/**
 * Shows the sign-in form, with a note saying why when the person was signed out.
 * @param {{ notice?: string, onSignedIn: (user: User) => void }} options
 */
export function showAuth(options) {
  onSignedIn = options.onSignedIn;
  signingUp = false;
  notice.textContent = options.notice ?? '';
  view.hidden = false;
  askProviders();
  showForm();
}

/**
 * Shows the "choose a new password" form of a reset link; then the sign-in form, saying what happened.
 * @param {{ token: string, onSignedIn: (user: User) => void }} options
 */
export function showPasswordReset(options) {
  onSignedIn = options.onSignedIn;
  view.hidden = false;
  form.hidden = true;
  notice.textContent = '';
  askProviders();
  showReset({
    token: options.token,
    onBack: showForm,
    onDone: (message) => {
      notice.textContent = message;
      showForm();
    },
  });
}

/**
 * After a provider's sign-in of an account with two-factor sign-in on: the code step, with the provider's mfaToken.
 * @param {{ mfaToken: string, onSignedIn: (user: User) => void }} options
 */
export function showMfaStep(options) {
  onSignedIn = options.onSignedIn;
  view.hidden = false;
  notice.textContent = '';
  askProviders();
  hidePasswordForms();
  askForCode(options.mfaToken);
}

/** What to tell the person when a provider's sign-in came back refused (`#signin-error=<code>`). */
const SIGN_IN_ERRORS = /** @type {Record<string, string>} */ ({
  EMAIL_BELONGS_TO_ANOTHER_ACCOUNT:
    'An account with this email already exists. Sign in with its password, then link the provider under Account.',
  EMAIL_NOT_VERIFIED: 'The provider has not verified your email address, so no account was made.',
  REGISTRATION_CLOSED:
    'This server does not take new accounts. If you have one here, sign in with its password and link the provider ' +
    'under Account; otherwise ask an admin to make one for you.',
  INVALID_STATE: 'That sign-in took too long or was started elsewhere. Please try again.',
  PROVIDER_DENIED: 'The sign-in was cancelled at the provider.',
  PROVIDER_UNAVAILABLE: 'The sign-in provider could not be reached. Please try again later.',
  ACCOUNT_DISABLED: 'This account is disabled. Ask an admin.',
  IDENTITY_IN_USE: 'That account at the provider is already linked to another account here.',
  SIGN_IN_PROVIDER_NOT_FOUND:
    'This server does not offer that sign-in provider (any more). Choose another way to sign in.',
});

/** @param {string} code */
export const describeSignInError = (code) =>
  SIGN_IN_ERRORS[code] ?? `Signing in with the provider did not work (${code}). Please try again.`;

export function hideAuth() {
  view.hidden = true;
  notice.textContent = '';
  error.textContent = '';
}
