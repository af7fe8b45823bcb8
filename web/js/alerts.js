// @ts-check
import { byId } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

const alertBox = byId('alert', HTMLElement);
const alertText = byId('alert-text', HTMLElement);
const announcer = byId('announcer', HTMLElement);

/** @param {unknown} error */
export function showError(error) {
  if (error instanceof SessionEndedError) return;
  alertText.textContent = describeError(error);
  alertBox.hidden = false;
}

/**
 * Shows a message of the page's own (a step the person must take first) where errors are shown.
 * @param {string} text
 */
export function showNotice(text) {
  alertText.textContent = text;
  alertBox.hidden = false;
}

export function hideAlert() {
  alertBox.hidden = true;
  alertText.textContent = '';
}

byId('alert-close', HTMLButtonElement).addEventListener('click', hideAlert);

/**
 * Tells screen reader users what happened when nothing they are on says it (the text was copied, say).
 * @param {string} text
 */
export function announce(text) {
  // Emptied first, so that the same words said twice are announced twice.
  announcer.textContent = '';
  requestAnimationFrame(() => {
    announcer.textContent = text;
  });
}

/** Forgets the last announcement: it was about the person who was signed in (a file they attached, say). */
export function clearAnnouncement() {
  announcer.textContent = '';
}
