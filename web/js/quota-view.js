// @ts-check
import { getMyQuota } from './api.js';
import { byId, h } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

/** The person's quotas in the Account dialog: what is left of each, and when it resets. */

/** @typedef {import('./api.js').MyQuota} MyQuota */

const list = byId('quota-list', HTMLUListElement);
const status = byId('quota-status', HTMLElement);

export async function reloadQuota() {
  list.replaceChildren();
  status.textContent = 'Loading…';
  try {
    const { items } = await getMyQuota();
    status.textContent = items.length === 0 ? 'No quota applies to you: use the models as you need.' : '';
    list.replaceChildren(...items.map(quotaItem));
  } catch (failure) {
    if (failure instanceof SessionEndedError) return;
    status.textContent = describeError(failure);
  }
}

/** @param {MyQuota} quota */
function quotaItem(quota) {
  const per = quota.window === 'day' ? 'Today' : 'This month';
  const models = quota.model === null ? 'every model' : quota.model;
  /** @type {string[]} */
  const left = [];
  if (quota.maxRequests !== null) left.push(remaining(quota.maxRequests, quota.usedRequests, 'request'));
  if (quota.maxTokens !== null) left.push(remaining(quota.maxTokens, quota.usedTokens, 'token'));
  return h(
    'li',
    { class: 'quota' },
    h('strong', {}, `${per}, ${models}: `),
    left.join('; '),
    h('span', { class: 'hint' }, ` (resets ${new Date(quota.resetsAt).toLocaleString()})`),
  );
}

/**
 * @param {number} max
 * @param {number} used
 * @param {string} unit
 */
function remaining(max, used, unit) {
  const left = Math.max(0, max - used);
  return `${left.toLocaleString()} of ${max.toLocaleString()} ${unit}${max === 1 ? '' : 's'} left`;
}
