// @ts-check
import { createQuota, deleteQuota, listQuotas, listUsers } from './api.js';
import { confirmDialog } from './dialogs.js';
import { byId, h, whileBusy } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

/** The Quotas section of the Admin dialog: the policies, one button each to delete it, and a form to add one. */

/** @typedef {import('./api.js').QuotaPolicy} QuotaPolicy */

const rows = byId('admin-quotas-rows', HTMLTableSectionElement);
const status = byId('admin-quotas-status', HTMLElement);
const error = byId('admin-quotas-error', HTMLElement);
const form = byId('admin-quota-form', HTMLFormElement);
const person = byId('admin-quota-person', HTMLSelectElement);
const model = byId('admin-quota-model', HTMLInputElement);
const windowSelect = byId('admin-quota-window', HTMLSelectElement);
const maxRequests = byId('admin-quota-requests', HTMLInputElement);
const maxTokens = byId('admin-quota-tokens', HTMLInputElement);
const formError = byId('admin-quota-error', HTMLElement);
const submit = byId('admin-quota-submit', HTMLButtonElement);
/** The largest page the server gives. */
const PAGE_SIZE = 100;

/** @type {Map<string, string>} user id → email */
let emails = new Map();

/**
 * Every policy, so that a person's own is seen beside the default it replaces; and, when the dialog opens (not
 * after each change to the policies), every account, so that a quota can be for anyone and each policy names its
 * person.
 * @param {{ people?: boolean }} [options]
 */
export async function reloadQuotas({ people: withPeople = true } = {}) {
  error.textContent = '';
  status.textContent = 'Loading…';
  try {
    const [items, people] = await Promise.all([
      everyPage((cursor) => listQuotas({ limit: PAGE_SIZE, cursor })),
      withPeople ? everyPage((cursor) => listUsers({ limit: PAGE_SIZE, cursor })) : null,
    ]);
    if (people) {
      emails = new Map(people.map((user) => [user.id, user.email]));
      const chosen = person.value;
      person.replaceChildren(
        h('option', { value: '' }, 'Everyone (default)'),
        ...people.map((user) => h('option', { value: user.id }, user.email)),
      );
      person.value = emails.has(chosen) ? chosen : '';
    }
    rows.replaceChildren(...items.map(quotaRow));
    status.textContent = items.length === 0 ? 'No quotas: everyone uses the models as they need.' : '';
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    status.textContent = '';
    error.textContent = describeError(failure);
  }
}

/**
 * Every item of a list, page after page.
 * @template T
 * @param {(cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>} load
 * @returns {Promise<T[]>}
 */
async function everyPage(load) {
  /** @type {T[]} */
  const all = [];
  /** @type {string | null} */
  let cursor = null;
  do {
    const page = await load(cursor);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** @param {QuotaPolicy} quota */
function quotaRow(quota) {
  const who = quota.userId === null ? 'Everyone' : (emails.get(quota.userId) ?? quota.userId);
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  remove.setAttribute('aria-label', `Delete the ${quota.window} quota for ${who}`);
  remove.addEventListener('click', () => void removeQuota(quota, who, remove));
  return h(
    'tr',
    {},
    h('td', {}, who),
    h('td', {}, quota.model ?? 'every model'),
    h('td', {}, quota.window),
    h('td', { class: 'number' }, quota.maxRequests === null ? '–' : quota.maxRequests.toLocaleString()),
    h('td', { class: 'number' }, quota.maxTokens === null ? '–' : quota.maxTokens.toLocaleString()),
    h('td', {}, remove),
  );
}

/**
 * @param {QuotaPolicy} quota
 * @param {string} who
 * @param {HTMLButtonElement} button
 */
async function removeQuota(quota, who, button) {
  const sure = await confirmDialog({
    title: 'Delete this quota?',
    text: `The ${quota.window} quota for ${who} stops applying at once, and what was counted under it is forgotten.`,
    confirmLabel: 'Delete quota',
  });
  if (!sure) return;
  error.textContent = '';
  try {
    await whileBusy(button, 'Deleting…', () => deleteQuota(quota.id));
    await reloadQuotas({ people: false });
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    error.textContent = describeError(failure);
  }
}

/** @param {HTMLInputElement} input */
function limitOf(input) {
  return input.value.trim() === '' ? undefined : Number(input.value);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  formError.textContent = '';
  const requests = limitOf(maxRequests);
  const tokens = limitOf(maxTokens);
  if (requests === undefined && tokens === undefined) {
    formError.textContent = 'Give the most requests, the most tokens, or both.';
    maxRequests.focus();
    return;
  }
  if ([requests, tokens].some((limit) => limit !== undefined && (!Number.isInteger(limit) || limit < 0))) {
    formError.textContent = 'Limits are whole numbers, 0 or more.';
    return;
  }
  try {
    await whileBusy(submit, 'Adding…', () =>
      createQuota({
        scope: person.value ? 'user' : 'default',
        userId: person.value || undefined,
        model: model.value.trim() || undefined,
        window: windowSelect.value === 'month' ? 'month' : 'day',
        maxRequests: requests,
        maxTokens: tokens,
      }),
    );
    model.value = '';
    maxRequests.value = '';
    maxTokens.value = '';
    await reloadQuotas({ people: false });
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    formError.textContent = describeError(failure);
  }
});
