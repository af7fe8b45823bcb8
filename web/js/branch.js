// @ts-check
import { listMessages } from './api.js';
import { showError } from './alerts.js';
import { whileBusy } from './dom.js';
import {
  focusMessage,
  indexOf,
  messagesBox,
  olderButton,
  prependOlder,
  replaceAfter,
  showBranch,
} from './messages-view.js';
import { state, streamingHere } from './state.js';

/** @typedef {import('./state.js').Message} Message */

/** Messages a page: what a conversation opens with, and what each scroll to the top adds. */
export const PAGE_SIZE = 50;
/** How far back a changed branch is walked to find where it meets what is on show, before it is shown anew. */
const MAX_TAIL_PAGES = 4;

/**
 * The end of a branch, newest last: what a conversation opens with.
 * @param {string} conversationId
 * @returns {Promise<{ path: Message[], olderCursor: string | null }>}
 */
export async function fetchBranchEnd(conversationId) {
  const page = await listMessages(conversationId, { order: 'desc', limit: PAGE_SIZE });
  return { path: page.items.reverse(), olderCursor: page.nextCursor };
}

/**
 * The messages of the branch ending at `leafId` that come after `anchorId` (after nothing: the whole branch),
 * walked back from the leaf. `found` is false when the anchor is not on that branch, or too far back; `tail`
 * is then the branch's end, and `olderCursor` where it goes on.
 * @param {string} conversationId
 * @param {string} leafId
 * @param {string | null} anchorId
 */
export async function fetchTail(conversationId, leafId, anchorId) {
  /** @type {Message[]} */
  const items = [];
  /** @type {string | null} */
  let cursor = null;
  for (let pages = 0; pages < MAX_TAIL_PAGES; pages += 1) {
    const page = await listMessages(conversationId, { order: 'desc', limit: PAGE_SIZE, leafId, cursor });
    const at = anchorId === null ? -1 : page.items.findIndex((message) => message.id === anchorId);
    if (at >= 0) return { tail: [...items, ...page.items.slice(0, at)].reverse(), found: true, olderCursor: null };
    items.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === null) return { tail: items.reverse(), found: anchorId === null, olderCursor: null };
  }
  return { tail: items.reverse(), found: false, olderCursor: cursor };
}

/**
 * Shows what a fetchTail found: after the anchor when it was found (what comes before it stays as it is, and
 * where the person was reading), else the branch anew from its end.
 * @param {{ tail: Message[], found: boolean, olderCursor: string | null }} result
 * @param {string | null} anchorId
 * @param {HTMLElement[]} [liveElements]
 */
export function showTail({ tail, found, olderCursor }, anchorId, liveElements = []) {
  // An anchor above the loaded part of the branch keeps nothing, and the cursor to what is above stays good.
  if (found) replaceAfter(anchorId === null ? 0 : indexOf(anchorId) + 1, tail, liveElements);
  else showBranch(tail, olderCursor, liveElements);
}

/**
 * Shows the open conversation's branch ending at `leafId` (null: an empty conversation), keeping what comes up
 * to `anchorId`. Answers false when another conversation was opened meanwhile.
 * @param {string | null} anchorId
 * @param {string | null} leafId
 */
export async function reloadAfter(anchorId, leafId) {
  const conversation = state.conversation;
  if (!conversation) return false;
  const mine = state.opening;
  if (leafId === null) {
    showBranch([], null);
    return true;
  }
  const result = await fetchTail(conversation.id, leafId, anchorId);
  if (mine !== state.opening || state.conversation?.id !== conversation.id) return false;
  showTail(result, anchorId);
  return true;
}

// Older messages, loaded as the person scrolls up (or presses the button at the top, from the keyboard).

let loadingOlder = false;

/** @param {{ fromButton?: boolean }} [options] */
async function loadOlder({ fromButton = false } = {}) {
  const conversation = state.conversation;
  const leaf = state.path.at(-1);
  if (loadingOlder || !conversation || !leaf || state.olderCursor === null) return;
  const mine = state.opening;
  loadingOlder = true;
  messagesBox.setAttribute('aria-busy', 'true');
  try {
    const page = await whileBusy(olderButton, 'Loading older messages…', () =>
      listMessages(conversation.id, { order: 'desc', limit: PAGE_SIZE, leafId: leaf.id, cursor: state.olderCursor }),
    );
    if (mine !== state.opening) return;
    const older = page.items.reverse();
    prependOlder(older, page.nextCursor);
    // The button stays at the top, above what was added: the focus goes on to the newest message just loaded.
    if (fromButton && older.length > 0) focusMessage(older[older.length - 1].id);
  } catch (error) {
    if (mine === state.opening) showError(error);
  } finally {
    loadingOlder = false;
    // Still busy while an answer streams in.
    messagesBox.setAttribute('aria-busy', String(streamingHere()));
  }
  // Too little was added to fill the view: the top is still in sight, and the observer says nothing new.
  if (mine === state.opening && !fromButton && nearTop()) void loadOlder();
}

const nearTop = () => !olderButton.hidden && messagesBox.scrollTop < 300;

olderButton.addEventListener('click', () => void loadOlder({ fromButton: true }));

new IntersectionObserver(
  (entries) => {
    if (entries.some((entry) => entry.isIntersecting)) void loadOlder();
  },
  { root: messagesBox, rootMargin: '300px 0px 0px 0px' },
).observe(olderButton);
