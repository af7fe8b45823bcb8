// @ts-check
import { getMyUsage } from './api.js';
import { byId, h, whileBusy } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

/** The "API usage" part of the Account dialog: the person's own calls through API keys, per UTC day and model. */

/** @typedef {import('./api.js').UsageRow} UsageRow */
/** @typedef {import('./api.js').UsageTotals} UsageTotals */

const form = byId('api-usage-form', HTMLFormElement);
const fromInput = byId('api-usage-from', HTMLInputElement);
const toInput = byId('api-usage-to', HTMLInputElement);
const submit = byId('api-usage-submit', HTMLButtonElement);
const status = byId('api-usage-status', HTMLElement);
const error = byId('api-usage-error', HTMLElement);
const tableBox = byId('api-usage-table', HTMLElement);
const rows = byId('api-usage-rows', HTMLTableSectionElement);
const totalsRow = byId('api-usage-totals', HTMLTableSectionElement);
const moreButton = byId('api-usage-more', HTMLButtonElement);
const PAGE_SIZE = 100;

/** @type {string | null} */
let nextCursor = null;
/** The range of the lines shown, as the server settled it: further pages must ask for the same. */
let range = { from: '', to: '' };

/** Shows the server's default range (the last 30 days), the days filled in from its answer. */
export async function reloadUsage() {
  fromInput.value = '';
  toInput.value = '';
  await showRange();
}

async function showRange() {
  rows.replaceChildren();
  totalsRow.replaceChildren();
  tableBox.hidden = true;
  moreButton.hidden = true;
  nextCursor = null;
  error.textContent = '';
  status.textContent = 'Loading usage…';
  range = { from: fromInput.value, to: toInput.value };
  await loadPage();
}

async function loadPage() {
  try {
    const page = await getMyUsage({ from: range.from, to: range.to, limit: PAGE_SIZE, cursor: nextCursor });
    range = { from: page.from, to: page.to };
    fromInput.value = page.from;
    toInput.value = page.to;
    rows.append(...page.items.map(usageRow));
    nextCursor = page.nextCursor;
    moreButton.hidden = !nextCursor;
    describe(page.totals);
  } catch (failure) {
    status.textContent = '';
    if (!(failure instanceof SessionEndedError)) error.textContent = describeError(failure);
  }
}

/** @param {UsageTotals} totals over the whole range, whichever page */
function describe(totals) {
  const period = `from ${range.from} to ${range.to} (UTC days)`;
  if (totals.requests === 0) {
    status.textContent = `No calls through your API keys ${period}.`;
    return;
  }
  tableBox.hidden = false;
  status.textContent =
    `${count(totals.requests, 'call')} and ${count(totals.totalTokens, 'token')} ${period}` +
    (totals.failed > 0 ? `; ${totals.failed.toLocaleString()} failed` : '') +
    (totals.cancelled > 0 ? `; ${totals.cancelled.toLocaleString()} cancelled` : '') +
    '.';
  totalsRow.replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'row', colspan: '2' }, 'Total'),
      number(totals.requests),
      number(totals.failed),
      number(totals.promptTokens),
      number(totals.completionTokens),
    ),
  );
}

/** @param {number} value @param {string} unit */
const count = (value, unit) => `${value.toLocaleString()} ${unit}${value === 1 ? '' : 's'}`;

/** @param {number} value */
const number = (value) => h('td', { class: 'number' }, value.toLocaleString());

/** @param {UsageRow} row */
function usageRow(row) {
  return h(
    'tr',
    {},
    h('td', {}, row.day),
    // A long id may break after its provider's name, and nowhere else.
    h('td', {}, ...row.model.split('/').flatMap((part, index) => (index === 0 ? [part] : [h('wbr'), `/${part}`]))),
    number(row.requests),
    number(row.failed),
    number(row.promptTokens),
    number(row.completionTokens),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  error.textContent = '';
  if (fromInput.value && toInput.value && fromInput.value > toInput.value) {
    error.textContent = 'The first day must not be after the last day.';
    fromInput.focus();
    return;
  }
  void whileBusy(submit, 'Loading…', showRange);
});
moreButton.addEventListener('click', () => whileBusy(moreButton, 'Loading…', loadPage));
