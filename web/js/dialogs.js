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

/**
 * Asks for a conversation's new title; null when cancelled or left unchanged.
 * @param {string} currentTitle
 * @returns {Promise<string | null>}
 */
export async function renameDialog(currentTitle) {
  const dialog = byId('rename-dialog', HTMLDialogElement);
  const input = byId('rename-input', HTMLInputElement);
  input.value = currentTitle;
  const answer = run(dialog, byId('rename-cancel', HTMLButtonElement));
  input.select();
  const ok = (await answer) === 'ok';
  const title = input.value.trim();
  return ok && title && title !== currentTitle ? title : null;
}
