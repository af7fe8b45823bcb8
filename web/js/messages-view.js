// @ts-check
import { attachmentList } from './attachments.js';
import { byId, h } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { busyHere, state } from './state.js';

/** @typedef {import('./state.js').Message} Message */

export const messagesBox = byId('messages', HTMLElement);
const emptyChat = byId('empty-chat', HTMLElement);
export const olderButton = byId('load-older', HTMLButtonElement);

/** What a message is called in the names of the buttons that act on it. */
export const nounOf = (/** @type {Message['role']} */ role) => (role === 'user' ? 'question' : 'answer');

/** Actions that change the branch on show, which the server refuses while an answer is being added to it. */
const NEEDS_IDLE = ['edit', 'answer', 'regenerate', 'models', 'regenerate-with', 'delete', 'previous', 'next'];

/**
 * An empty message. It can take the focus (tabindex -1) so that the focus has somewhere to go after an action
 * replaced the control it was on.
 * @param {Message['role']} role
 * @param {{ model?: string, edited?: boolean }} [details]
 * @returns {HTMLElement}
 */
export function messageElement(role, { model, edited = false } = {}) {
  const heading = h('p', { class: 'message-role' }, role === 'user' ? 'You' : 'Assistant');
  if (model) heading.append(h('span', { class: 'message-detail' }, model));
  if (edited) heading.append(h('span', { class: 'message-detail' }, 'edited'));
  return h(
    'article',
    { class: `message message-${role}`, 'aria-label': role === 'user' ? 'You' : 'Assistant', tabindex: '-1' },
    heading,
    h('div', { class: 'message-body' }),
  );
}

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
export function setContent(element, text) {
  const body = /** @type {HTMLElement} */ (element.querySelector('.message-body'));
  const stick = isScrolledToEnd();
  body.replaceChildren(renderMarkdown(text));
  if (stick) scrollToEnd();
}

/**
 * Says under a message how it ended, when that was not normally.
 * @param {HTMLElement} element
 * @param {string} text
 * @param {boolean} isError
 */
export function setStatus(element, text, isError) {
  element.querySelector('.message-status')?.remove();
  if (!text) return;
  const status = h('p', { class: `message-status${isError ? ' is-error' : ''}` }, text);
  const tools = element.querySelector('.message-tools');
  if (tools) tools.before(status);
  else element.append(status);
}

/**
 * The model an answer names: the one asked, or the fallback that answered in its place.
 * @param {Message} message
 */
function answeredBy(message) {
  const { model, servedBy } = message;
  return servedBy && servedBy !== model ? `${servedBy} (for ${model})` : model;
}

/**
 * @param {Message} message
 * @param {boolean} isLeaf
 */
function storedMessageElement(message, isLeaf) {
  const element = messageElement(message.role, {
    model: message.role === 'assistant' ? answeredBy(message) : undefined,
    edited: Boolean(message.editedAt),
  });
  element.dataset.id = message.id;
  setContent(element, message.content);
  if (message.attachments?.length) element.append(attachmentList(message.attachments));
  element.append(toolsFor(message, isLeaf));
  if (message.status === 'streaming')
    setStatus(element, 'This answer is still being written. Reload to see more.', false);
  if (message.status === 'incomplete') setStatus(element, 'Stopped: this answer is incomplete.', false);
  if (message.status === 'error') {
    setStatus(element, `The answer failed: ${message.error ?? 'the model provider failed'}.`, true);
  }
  return element;
}

/**
 * The buttons under a message. Their names say what they act on, as a screen reader lists them out of context.
 * @param {Message} message
 * @param {boolean} isLeaf the branch ends here: a question without an answer can be answered
 */
function toolsFor(message, isLeaf) {
  const noun = nounOf(message.role);
  const tools = h('div', { class: 'message-tools' });
  if (message.siblingCount > 1) tools.append(siblingsNav(message));
  tools.append(tool('copy', 'Copy', `Copy ${noun}`));
  if (message.role === 'user') {
    tools.append(tool('edit', 'Edit', 'Edit question'));
    if (isLeaf) tools.append(tool('answer', 'Answer', 'Answer this question'));
  } else {
    const menuId = `models-${message.id}`;
    const toggle = tool('models', 'Another model', 'Regenerate answer with another model');
    toggle.setAttribute('aria-expanded', 'false');
    toggle.setAttribute('aria-controls', menuId);
    tools.append(tool('regenerate', 'Regenerate', 'Regenerate answer'), toggle);
    tools.append(h('div', { class: 'model-menu', id: menuId, role: 'group', 'aria-label': 'Models', hidden: true }));
  }
  tools.append(tool('fork', 'Fork', `Fork a new conversation from this ${noun}`));
  tools.append(tool('delete', 'Delete', `Delete ${noun} and what follows`));
  return tools;
}

/**
 * "2 / 3" and the buttons that step between a message and its siblings (the other versions of a question, or
 * the other answers to it). A button at the end of the row stays focusable, only marked disabled, so that the
 * focus does not drop to the page when stepping reaches the end.
 * @param {Message} message
 */
function siblingsNav(message) {
  const noun = nounOf(message.role);
  const position = `${message.siblingIndex + 1} of ${message.siblingCount}`;
  const previous = tool('previous', '‹', `Previous ${noun}, ${position}`);
  const next = tool('next', '›', `Next ${noun}, ${position}`);
  if (message.siblingIndex === 0) previous.setAttribute('aria-disabled', 'true');
  if (message.siblingIndex === message.siblingCount - 1) next.setAttribute('aria-disabled', 'true');
  return h(
    'div',
    { class: 'siblings', role: 'group', 'aria-label': `Versions of this ${noun}` },
    previous,
    h(
      'span',
      { class: 'sibling-position', 'aria-hidden': 'true' },
      `${message.siblingIndex + 1} / ${message.siblingCount}`,
    ),
    next,
  );
}

/**
 * @param {string} action
 * @param {string} text
 * @param {string} label
 */
function tool(action, text, label) {
  const button = h('button', { type: 'button', class: 'tool', 'data-action': action, 'aria-label': label }, text);
  if (NEEDS_IDLE.includes(action) && busyHere()) button.disabled = true;
  return button;
}

/**
 * Turns the branch-changing buttons off while an answer is streamed into the open conversation or swapped for its
 * stored copy, and back on.
 */
export function renderToolsState() {
  const busy = busyHere();
  for (const button of messagesBox.querySelectorAll('button[data-action]')) {
    if (button instanceof HTMLButtonElement && NEEDS_IDLE.includes(button.dataset.action ?? '')) {
      button.disabled = busy;
    }
  }
}

// The list

const articles = () => /** @type {HTMLElement[]} */ ([...messagesBox.querySelectorAll(':scope > article')]);

/** @param {string} id */
export const elementOf = (id) => articles().find((element) => element.dataset.id === id) ?? null;

/** @param {string} id */
export const indexOf = (id) => state.path.findIndex((message) => message.id === id);

export function isScrolledToEnd() {
  return messagesBox.scrollHeight - messagesBox.scrollTop - messagesBox.clientHeight < 48;
}

export function scrollToEnd() {
  messagesBox.scrollTop = messagesBox.scrollHeight;
}

/**
 * Shows other things than messages (a loading notice, nothing), forgetting the branch.
 * @param {Node[]} nodes
 */
export function showPlaceholder(nodes) {
  state.path = [];
  state.olderCursor = null;
  olderButton.hidden = true;
  emptyChat.hidden = nodes.length > 0;
  messagesBox.replaceChildren(olderButton, emptyChat, ...nodes);
}

/**
 * Shows a branch, scrolled to its end, and the elements of an answer still streaming into it after it.
 * @param {Message[]} path oldest first
 * @param {string | null} olderCursor
 * @param {HTMLElement[]} [liveElements]
 */
export function showBranch(path, olderCursor, liveElements = []) {
  state.path = path;
  state.olderCursor = olderCursor;
  olderButton.hidden = olderCursor === null;
  emptyChat.hidden = path.length + liveElements.length > 0;
  messagesBox.replaceChildren(
    olderButton,
    emptyChat,
    ...path.map((message, i) => storedMessageElement(message, i === path.length - 1)),
    ...liveElements,
  );
  scrollToEnd();
}

/**
 * Puts older messages of the branch above the ones on show, leaving what the person is looking at where it was.
 * @param {Message[]} older oldest first
 * @param {string | null} olderCursor
 */
export function prependOlder(older, olderCursor) {
  const fromBottom = messagesBox.scrollHeight - messagesBox.scrollTop;
  state.path = [...older, ...state.path];
  state.olderCursor = olderCursor;
  emptyChat.after(...older.map((message) => storedMessageElement(message, false)));
  olderButton.hidden = olderCursor === null;
  messagesBox.scrollTop = messagesBox.scrollHeight - fromBottom;
}

/**
 * Keeps the first `keep` messages of the branch and shows `tail` after them, in place of whatever followed
 * (stored messages and live ones alike). A control that had the focus and was replaced hands it to its
 * counterpart in the new elements, when there is one.
 * @param {number} keep
 * @param {Message[]} tail oldest first
 * @param {HTMLElement[]} [liveElements] shown after the tail
 */
export function replaceAfter(keep, tail, liveElements = []) {
  const stick = isScrolledToEnd();
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const focusKey = focused && messagesBox.contains(focused) ? keyOf(focused) : null;
  state.path = [...state.path.slice(0, keep), ...tail];
  for (const element of articles().slice(keep)) element.remove();
  // The message the new ones follow may have stopped, or started, being the end of the branch.
  const last = articles().at(-1);
  if (keep > 0 && last) {
    last
      .querySelector('.message-tools')
      ?.replaceWith(toolsFor(state.path[keep - 1], tail.length + liveElements.length === 0));
  }
  messagesBox.append(
    ...tail.map((message, i) => storedMessageElement(message, i === tail.length - 1)),
    ...liveElements,
  );
  emptyChat.hidden = state.path.length + liveElements.length > 0;
  if (stick) scrollToEnd();
  if (focusKey && focused && !focused.isConnected) focusMessage(focusKey.id, focusKey.action);
}

/** @param {HTMLElement} element */
function keyOf(element) {
  const article = element.closest('article');
  return { id: article?.dataset.id ?? '', action: element.dataset.action ?? null };
}

/**
 * Puts the focus on a message, or on one of its buttons; answers whether the message is on show.
 * @param {string} id
 * @param {string | null} [action]
 */
export function focusMessage(id, action = null) {
  const article = id ? elementOf(id) : null;
  if (!article) return false;
  const button = action ? article.querySelector(`button[data-action="${action}"]`) : null;
  (button instanceof HTMLButtonElement ? button : article).focus();
  return true;
}

/** @param {HTMLElement[]} elements */
export function appendLive(elements) {
  emptyChat.hidden = true;
  messagesBox.append(...elements);
  scrollToEnd();
}
