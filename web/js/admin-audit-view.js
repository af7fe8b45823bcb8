// @ts-check
import { listAuditEvents } from './api.js';
import { byId, h, whileBusy } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

/** The Admin dialog's audit log: who did what, when and from where, newest first, by action and period. */

/** @typedef {import('./api.js').AuditEvent} AuditEvent */

const form = byId('admin-audit-form', HTMLFormElement);
const actionSelect = byId('admin-audit-action', HTMLSelectElement);
const fromInput = byId('admin-audit-from', HTMLInputElement);
const toInput = byId('admin-audit-to', HTMLInputElement);
const rows = byId('admin-audit-rows', HTMLTableSectionElement);
const status = byId('admin-audit-status', HTMLElement);
const error = byId('admin-audit-error', HTMLElement);
const more = byId('admin-audit-more', HTMLButtonElement);
const PAGE_SIZE = 50;

/** How an account is named in the log: its email when the dialog knows it. */
/** @type {(id: string) => string | undefined} */
let nameOf = () => undefined;
/** @type {string | null} */
let cursor = null;
/** The filters of the events shown: more of them continue those, whatever the form holds since. */
let filters = { action: '', from: '', to: '' };

/**
 * Loads the log from its newest event, as filtered.
 * @param {(id: string) => string | undefined} emailOf the email of an account the dialog has listed
 */
export async function reloadAudit(emailOf) {
  nameOf = emailOf;
  rows.replaceChildren();
  cursor = null;
  filters = { action: actionSelect.value, from: fromInput.value, to: toInput.value };
  error.textContent = '';
  status.textContent = 'Loading the audit log…';
  await loadAudit();
}

async function loadAudit() {
  try {
    const page = await listAuditEvents({
      action: filters.action || undefined,
      // Whole days, in UTC as the server keeps them.
      from: filters.from ? `${filters.from}T00:00:00.000Z` : undefined,
      to: filters.to ? `${filters.to}T23:59:59.999Z` : undefined,
      limit: PAGE_SIZE,
      cursor,
    });
    rows.append(...page.items.map(eventRow));
    cursor = page.nextCursor;
    more.hidden = !cursor;
    status.textContent = rows.children.length === 0 ? 'No events match.' : '';
  } catch (failure) {
    status.textContent = '';
    if (!(failure instanceof SessionEndedError)) error.textContent = describeError(failure);
  }
}

/** @param {string | null} id */
function account(id) {
  if (!id) return '—';
  return nameOf(id) ?? `account ${id.slice(0, 8)}`;
}

/** @param {AuditEvent} event */
function eventRow(event) {
  const at = new Date(event.at);
  const target = event.targetType === 'user' ? account(event.targetId) : event.targetType ? `${event.targetType}` : '—';
  const details = Object.entries(event.details ?? {})
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  return h(
    'tr',
    { class: event.outcome === 'failure' ? 'is-failure' : '' },
    h(
      'td',
      {},
      h('time', { datetime: event.at }, at.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })),
    ),
    h('td', {}, event.action),
    h('td', {}, account(event.actorId)),
    h('td', {}, target),
    h('td', {}, event.outcome === 'failure' ? 'failed' : 'done'),
    h('td', {}, event.ip ?? '—'),
    h('td', {}, details),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void whileBusy(byId('admin-audit-submit', HTMLButtonElement), 'Loading…', () => reloadAudit(nameOf));
});
more.addEventListener('click', () => whileBusy(more, 'Loading…', loadAudit));
