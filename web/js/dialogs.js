// @ts-check
import { byId } from './dom.js';

/**
 * Opens a modal <dialog> (which keeps focus inside it and closes on Escape) and resolves with its return value
 * once it closes; Cancel buttons close it with an empty one.
 * @param {HTMLDialogElement} dialog
 * @param {HTMLButtonElement} cancel
 * @returns {Promise<string>}
 */
function run(dialog, cancel) {
  return new Promise((resolve) => {
    const onCancel = () => dialog.close('');
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener(
      'close',
      () => {
        cancel.removeEventListener('click', onCancel);
        resolve(dialog.returnValue);
      },
      { once: true },
    );
    dialog.returnValue = '';
    dialog.showModal();
  });
}

/**
 * Asks before something that cannot be undone.
 * @param {{ title: string, text: string, confirmLabel: string }} question
 * @returns {Promise<boolean>}
 */
export async function confirmDialog({ title, text, confirmLabel }) {
  const dialog = byId('confirm-dialog', HTMLDialogElement);
  byId('confirm-title', HTMLElement).textContent = title;
  byId('confirm-text', HTMLElement).textContent = text;
  byId('confirm-ok', HTMLButtonElement).textContent = confirmLabel;
  return (await run(dialog, byId('confirm-cancel', HTMLButtonElement))) === 'ok';
}

const renameInput = byId('rename-input', HTMLInputElement);
const renameError = byId('rename-error', HTMLElement);

/** A title of spaces only is no title (the server would refuse it): Save says so instead of closing. */
function checkTitle() {
  renameInput.setCustomValidity(renameInput.value.trim() ? '' : 'The title cannot be empty.');
  if (renameInput.validity.valid) {
    renameError.textContent = '';
    renameInput.removeAttribute('aria-invalid');
  }
}
renameInput.addEventListener('input', checkTitle);
renameInput.addEventListener('invalid', (event) => {
  // Said in the dialog, where it stays, rather than in the browser's passing bubble.
  event.preventDefault();
  renameError.textContent = renameInput.validationMessage;
  renameInput.setAttribute('aria-invalid', 'true');
  renameInput.focus();
});

/**
 * Asks for a conversation's new title; null when cancelled or left unchanged.
 * @param {string} currentTitle
 * @returns {Promise<string | null>}
 */
export async function renameDialog(currentTitle) {
  const dialog = byId('rename-dialog', HTMLDialogElement);
  renameInput.value = currentTitle;
  checkTitle();
  const answer = run(dialog, byId('rename-cancel', HTMLButtonElement));
  renameInput.select();
  const ok = (await answer) === 'ok';
  const title = renameInput.value.trim();
  return ok && title && title !== currentTitle ? title : null;
}
