// @ts-check
import { createApiKey, listApiKeys, revokeApiKey } from './api.js';
import { confirmDialog } from './dialogs.js';
import { byId, copyText, h, whileBusy } from './dom.js';
import { ApiError, describeError, SessionEndedError } from './errors.js';

/**
 * The "API keys" part of the Account dialog: the person's keys for the OpenAI-compatible API (/v1), making one
 * (its secret shown this once) and revoking one.
 */

/** @typedef {import('./api.js').ApiKey} ApiKey */

const dialog = byId('account-dialog', HTMLDialogElement);
const list = byId('api-keys-list', HTMLUListElement);
const status = byId('api-keys-status', HTMLElement);
const error = byId('api-keys-error', HTMLElement);
const moreButton = byId('api-keys-more', HTMLButtonElement);
const secretBox = byId('api-key-new', HTMLElement);
const secretText = byId('api-key-new-text', HTMLElement);
const secretValue = byId('api-key-new-value', HTMLElement);
const copyButton = byId('api-key-copy', HTMLButtonElement);
const copyStatus = byId('api-key-copy-status', HTMLElement);
const baseUrl = byId('api-key-base-url', HTMLElement);
const form = byId('api-key-form', HTMLFormElement);
const nameInput = byId('api-key-name', HTMLInputElement);
const expiresInput = byId('api-key-expires', HTMLInputElement);
const formError = byId('api-key-form-error', HTMLElement);
const submit = byId('api-key-submit', HTMLButtonElement);
const PAGE_SIZE = 20;

/** @type {string | null} */
let nextCursor = null;
/**
 * Bumped by every reload (the dialog opened again, for the same person or another): an answer to a request made
 * before it belongs to what was on show then, and is dropped.
 */
let shown = 0;

/** Lists the keys from the newest; forgets a new key's secret shown before. */
export async function reloadApiKeys() {
  shown += 1;
  forgetSecret();
  list.replaceChildren();
  nextCursor = null;
  error.textContent = '';
  formError.textContent = '';
  nameInput.value = '';
  expiresInput.value = '';
  expiresInput.min = localDay(new Date());
  baseUrl.textContent = `${location.origin}/v1`;
  status.textContent = 'Loading API keys…';
  await loadPage();
}

async function loadPage() {
  const mine = shown;
  try {
    const page = await listApiKeys({ limit: PAGE_SIZE, cursor: nextCursor });
    if (mine !== shown) return;
    list.append(...page.items.map(item));
    nextCursor = page.nextCursor;
    moreButton.hidden = !nextCursor;
    describeList();
  } catch (failure) {
    if (mine !== shown) return;
    if (list.children.length === 0) status.textContent = '';
    show(failure, error);
  }
}

/** @param {unknown} failure @param {HTMLElement} where */
function show(failure, where) {
  // The page is already back at the sign-in form: nothing here applies any more.
  if (!(failure instanceof SessionEndedError)) where.textContent = describeError(failure);
}

function describeList() {
  const count = list.children.length;
  status.textContent =
    count === 0 && !nextCursor
      ? 'You have no API keys.'
      : `You have ${count}${nextCursor ? ' or more' : ''} API key${count === 1 && !nextCursor ? '' : 's'}.`;
}

/** The secret is kept on screen no longer than needed: gone once hidden, reloaded or the dialog closes. */
function forgetSecret() {
  secretBox.hidden = true;
  secretText.textContent = '';
  secretValue.textContent = '';
  copyStatus.textContent = '';
}

/** @param {ApiKey} key */
function item(key) {
  const expired = key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now();
  const details = [
    `made ${when(key.createdAt)}`,
    key.lastUsedAt ? `last used ${when(key.lastUsedAt)}` : 'never used',
    key.expiresAt === null ? 'never expires' : `${expired ? 'expired' : 'expires'} ${when(key.expiresAt)}`,
  ].join(' · ');
  const revoke = h(
    'button',
    { type: 'button', class: 'danger', 'aria-label': `Revoke API key ${key.name} (${key.prefix}…)` },
    'Revoke',
  );
  const row = h(
    'li',
    { class: expired ? 'api-key is-expired' : 'api-key' },
    h(
      'div',
      { class: 'api-key-text' },
      h('span', {}, h('strong', {}, key.name), ' ', h('code', {}, `${key.prefix}…`)),
      h('span', { class: 'hint' }, details),
    ),
    revoke,
  );
  revoke.addEventListener('click', () => void revokeKey(key, row, revoke));
  return row;
}

/**
 * @param {ApiKey} key
 * @param {HTMLLIElement} row
 * @param {HTMLButtonElement} button
 */
async function revokeKey(key, row, button) {
  const sure = await confirmDialog({
    title: 'Revoke this API key?',
    text:
      `“${key.name}” (${key.prefix}…) stops working at once: every tool using it is refused from its next ` +
      'request. This cannot be undone.',
    confirmLabel: 'Revoke key',
  });
  if (!sure) return;
  error.textContent = '';
  try {
    await whileBusy(button, 'Revoking…', () => revokeApiKey(key.id));
  } catch (failure) {
    // Revoked already, from another tab or device: it is gone all the same.
    if (!(failure instanceof ApiError && failure.status === 404)) {
      show(failure, error);
      return;
    }
  }
  row.remove();
  describeList();
  status.textContent = `Revoked “${key.name}”. ${status.textContent}`;
}

/** @param {string} iso */
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A date as YYYY-MM-DD in the browser's time zone, as a date input holds it. @param {Date} date */
function localDay(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  formError.textContent = '';
  const name = nameInput.value.trim();
  if (!name) {
    formError.textContent = 'Give the key a name, to tell it from your other keys.';
    nameInput.focus();
    return;
  }
  // A chosen day means the key works until that day ends, in the person's own time zone.
  const day = expiresInput.value;
  if (day && day < localDay(new Date())) {
    formError.textContent = 'Choose a day from today on, or leave it empty for a key that never expires.';
    expiresInput.focus();
    return;
  }
  /** @type {{ name: string, expiresAt?: string }} */
  const body = { name };
  if (day) body.expiresAt = new Date(`${day}T23:59:59.999`).toISOString();
  const mine = shown;
  try {
    const made = await whileBusy(submit, 'Making…', () => createApiKey(body));
    // The dialog was opened again meanwhile (perhaps for someone else): the key is in its list, its secret not shown.
    if (mine !== shown) return;
    nameInput.value = '';
    expiresInput.value = '';
    list.prepend(item({ ...made, lastUsedAt: null }));
    describeList();
    status.textContent = `Made the key “${made.name}”. ${status.textContent}`;
    copyStatus.textContent = '';
    secretText.textContent =
      `Your new key “${made.name}”. Copy it now and keep it like a password: it is shown this once and cannot ` +
      'be read again.';
    secretValue.textContent = made.key;
    secretBox.hidden = false;
    copyButton.focus();
  } catch (failure) {
    if (mine !== shown) return;
    if (failure instanceof ApiError && failure.code === 'TOO_MANY_API_KEYS') {
      formError.textContent = 'You have as many API keys as an account may have. Revoke one you no longer use first.';
    } else {
      show(failure, formError);
    }
  }
});

copyButton.addEventListener('click', async () => {
  try {
    await copyText(secretValue.textContent ?? '');
    copyStatus.textContent = 'Copied the key.';
  } catch {
    copyStatus.textContent = 'The browser would not copy it: select the key and copy it yourself.';
  }
});
byId('api-key-hide', HTMLButtonElement).addEventListener('click', () => {
  forgetSecret();
  nameInput.focus();
});
moreButton.addEventListener('click', () => whileBusy(moreButton, 'Loading…', loadPage));
dialog.addEventListener('close', forgetSecret);
