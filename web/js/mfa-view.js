// @ts-check
import { confirmTotpSetup, disableTotp, getMe, startTotpSetup } from './api.js';
import { byId, h, whileBusy } from './dom.js';
import { describeError } from './errors.js';

/** The "Two-factor sign-in" part of the Account dialog: set it up, see the backup codes once, turn it off. */

const status = byId('mfa-status', HTMLElement);
const error = byId('mfa-error', HTMLElement);
const startForm = byId('mfa-start-form', HTMLFormElement);
const startPassword = byId('mfa-start-password', HTMLInputElement);
const confirmForm = byId('mfa-confirm-form', HTMLFormElement);
const qrBox = byId('mfa-qr', HTMLElement);
const secretText = byId('mfa-secret', HTMLElement);
const confirmCode = byId('mfa-confirm-code', HTMLInputElement);
const backupBlock = byId('mfa-backup', HTMLElement);
const backupList = byId('mfa-backup-list', HTMLUListElement);
const offForm = byId('mfa-off-form', HTMLFormElement);
const offPassword = byId('mfa-off-password', HTMLInputElement);
const offCode = byId('mfa-off-code', HTMLInputElement);

/**
 * Draws the server's SVG into the page rather than as <img src="data:...">: the page's Content-Security-Policy
 * allows no data: URLs. A parsed SVG document runs no script, and the policy would refuse inline ones anyway.
 * @param {string} dataUrl data:image/svg+xml;base64,...
 */
function showQrCode(dataUrl) {
  const svgText = atob(dataUrl.slice(dataUrl.indexOf(',') + 1));
  const svg = new DOMParser().parseFromString(svgText, 'image/svg+xml').documentElement;
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('width', '200');
  svg.setAttribute('height', '200');
  qrBox.replaceChildren(document.importNode(svg, true));
}

/** @param {boolean} enabled */
function show(enabled) {
  status.textContent = enabled
    ? 'Two-factor sign-in is on: signing in asks for a code from your authenticator app.'
    : 'Two-factor sign-in is off. Turn it on to ask for a code from an authenticator app at sign-in.';
  startForm.hidden = enabled;
  offForm.hidden = !enabled;
  confirmForm.hidden = true;
}

/** Shows whether two-factor sign-in is on; forgets any setup or backup codes shown before. */
export async function refreshMfa() {
  error.textContent = '';
  backupBlock.hidden = true;
  backupList.replaceChildren();
  startPassword.value = '';
  offPassword.value = '';
  offCode.value = '';
  try {
    show((await getMe()).mfaEnabled);
  } catch (failure) {
    error.textContent = describeError(failure);
  }
}

/**
 * @param {HTMLFormElement} form
 * @param {string} busyLabel
 * @param {() => Promise<void>} work
 */
function onSubmit(form, busyLabel, work) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const button = form.querySelector('button[type="submit"]');
    try {
      await whileBusy(/** @type {HTMLButtonElement} */ (button), busyLabel, work);
    } catch (failure) {
      error.textContent = describeError(failure);
    }
  });
}

onSubmit(startForm, 'Starting…', async () => {
  const setup = await startTotpSetup(startPassword.value);
  startPassword.value = '';
  showQrCode(setup.qrCodeSvg);
  secretText.textContent = setup.secret;
  startForm.hidden = true;
  confirmForm.hidden = false;
  confirmCode.value = '';
  confirmCode.focus();
});

onSubmit(confirmForm, 'Checking…', async () => {
  const { backupCodes } = await confirmTotpSetup(confirmCode.value.trim());
  qrBox.replaceChildren();
  secretText.textContent = '';
  show(true);
  backupList.replaceChildren(...backupCodes.map((code) => h('li', {}, h('code', {}, code))));
  backupBlock.hidden = false;
});

onSubmit(offForm, 'Turning off…', async () => {
  await disableTotp(offPassword.value, offCode.value.trim());
  offPassword.value = '';
  offCode.value = '';
  show(false);
});
