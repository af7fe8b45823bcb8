// @ts-check
import { listConversations } from './api.js';
import { byId, h } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

/** @typedef {import('./state.js').Conversation} Conversation */

const PAGE_SIZE = 30;
const SEARCH_DELAY_MS = 250;

const sidebar = byId('sidebar', HTMLElement);
const list = byId('conversation-list', HTMLUListElement);
const status = byId('list-status', HTMLElement);
const loadMore = byId('load-more', HTMLButtonElement);
const search = byId('search', HTMLInputElement);
const showArchived = byId('show-archived', HTMLInputElement);

/** Bumped on every reset, so that answers to an older list's requests are dropped. */
let generation = 0;
/** @type {string | null | undefined} undefined: nothing loaded yet; null: no more pages */
let nextCursor;
let loading = false;
/** The last page could not be read: scrolling does not ask again (each try would fail the same way), the button does. */
let failed = false;
/** @type {string | null} */
let currentId = null;

export const titleOf = (/** @type {Conversation} */ conversation) => conversation.title ?? 'Untitled conversation';

/** Starts the list again from its first page, with the current search and archive filter. */
export function resetList() {
  generation += 1;
  nextCursor = undefined;
  loading = false;
  failed = false;
  list.replaceChildren();
  void loadNextPage();
}

export function clearList() {
  generation += 1;
  list.replaceChildren();
  status.textContent = '';
  loadMore.hidden = true;
  search.value = '';
  showArchived.checked = false;
}

async function loadNextPage() {
  if (loading || nextCursor === null) return;
  const mine = generation;
  loading = true;
  loadMore.hidden = true;
  sidebar.setAttribute('aria-busy', 'true');
  status.textContent = 'Loading conversations…';
  try {
    const page = await listConversations({
      limit: PAGE_SIZE,
      cursor: nextCursor,
      archived: showArchived.checked,
      q: search.value.trim(),
    });
    if (mine !== generation) return;
    // One shown already (made or changed here since the list was first asked for, say) stays where it is.
    for (const conversation of page.items) if (!itemOf(conversation.id)) list.append(itemFor(conversation));
    nextCursor = page.nextCursor;
    failed = false;
    status.textContent = list.children.length > 0 ? '' : emptyText();
  } catch (error) {
    if (mine !== generation || error instanceof SessionEndedError) return;
    failed = true;
    status.textContent = `Could not load conversations. ${describeError(error)}`;
  } finally {
    if (mine === generation) {
      loading = false;
      sidebar.removeAttribute('aria-busy');
      loadMore.hidden = nextCursor === null;
    }
  }
}

function emptyText() {
  const q = search.value.trim();
  if (q) return `No conversations match “${q}”.`;
  return showArchived.checked ? 'No archived conversations.' : 'No conversations yet.';
}

/** @param {Conversation} conversation */
function itemFor(conversation) {
  const link = h('a', { href: `#/c/${conversation.id}` }, titleOf(conversation));
  if (conversation.id === currentId) link.setAttribute('aria-current', 'page');
  return h('li', { 'data-id': conversation.id }, link);
}

/** @param {string} id */
const itemOf = (id) => [...list.children].find((item) => item instanceof HTMLElement && item.dataset.id === id);

/**
 * Shows a conversation that was created or changed: first in the list (the newest) when it belongs to the list
 * being shown, gone from it when it no longer does (archived, say).
 * @param {Conversation} conversation
 * @param {{ moveToTop?: boolean }} [options]
 */
export function upsertConversation(conversation, { moveToTop = true } = {}) {
  const existing = itemOf(conversation.id);
  if (conversation.archived !== showArchived.checked) {
    removeConversation(conversation.id);
    return;
  }
  const q = search.value.trim().toLowerCase();
  if (!existing && q && !titleOf(conversation).toLowerCase().includes(q)) return;
  const item = itemFor(conversation);
  if (existing && !moveToTop) existing.replaceWith(item);
  else {
    existing?.remove();
    list.prepend(item);
  }
  status.textContent = '';
}

/** @param {string} id */
export function removeConversation(id) {
  itemOf(id)?.remove();
  if (list.children.length === 0 && nextCursor === null) status.textContent = emptyText();
}

/** @param {string | null} id the open conversation, marked in the list */
export function setCurrent(id) {
  currentId = id;
  for (const link of list.querySelectorAll('a')) {
    if (link.closest('li')?.dataset.id === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let searchTimer;
search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(resetList, SEARCH_DELAY_MS);
});
showArchived.addEventListener('change', resetList);
loadMore.addEventListener('click', () => void loadNextPage());

// Scrolling to the end of the list loads the next page; the button stays for keyboards and screen readers.
new IntersectionObserver(
  (entries) => {
    if (!failed && entries.some((entry) => entry.isIntersecting)) void loadNextPage();
  },
  { root: sidebar, rootMargin: '200px' },
).observe(loadMore);
