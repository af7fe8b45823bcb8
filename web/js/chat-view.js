// @ts-check
import { api, ApiError, query, request } from './api.js';
import { confirmDialog, renameDialog } from './dialogs.js';
import { byId, h, whileBusy } from './dom.js';
import { describeError, isAbort, SessionEndedError } from './errors.js';
import { renderMarkdown } from './markdown.js';
import { removeConversation, setCurrent, titleOf, upsertConversation } from './sidebar.js';
import { readEvents } from './stream.js';

/** @typedef {import('./sidebar.js').Conversation} Conversation */
/** @typedef {{ id: string, role: 'user' | 'assistant', content: string, model: string, status: 'complete' | 'incomplete' | 'error', error: string | null }} Message */
/** @typedef {{ id: string, provider: string, name: string }} Model */
/** An answer being streamed: its controller, and its elements, kept to show again if its conversation is reopened. */
/** @typedef {{ controller: AbortController, userElement: HTMLElement, assistantElement: HTMLElement, confirmedUserId: string | null }} LiveExchange */

const HISTORY_PAGE = 100;

const titleHeading = byId('chat-title', HTMLElement);
const actions = byId('chat-actions', HTMLElement);
const renameButton = byId('rename', HTMLButtonElement);
const archiveButton = byId('archive', HTMLButtonElement);
const deleteButton = byId('delete', HTMLButtonElement);
const modelSelect = byId('model', HTMLSelectElement);
const systemPromptPanel = byId('system-prompt-panel', HTMLDetailsElement);
const systemPrompt = byId('system-prompt', HTMLTextAreaElement);
const systemPromptHint = byId('system-prompt-hint', HTMLElement);
const saveSystemPrompt = byId('save-system-prompt', HTMLButtonElement);
const alertBox = byId('alert', HTMLElement);
const alertText = byId('alert-text', HTMLElement);
const messagesBox = byId('messages', HTMLElement);
const emptyChat = byId('empty-chat', HTMLElement);
const composer = byId('composer', HTMLFormElement);
const input = byId('message-input', HTMLTextAreaElement);
const sendButton = byId('send', HTMLButtonElement);
const stopButton = byId('stop', HTMLButtonElement);

/** The open conversation; null for a new chat that has no messages yet. */
/** @type {Conversation | null} */
let conversation = null;
/** @type {Model[]} */
let models = [];
/** @type {Map<string, LiveExchange>} */
const live = new Map();
/** Bumped whenever another conversation is opened, so that late answers for the previous one are dropped. */
let opening = 0;

// Alerts

/** @param {unknown} error */
export function showError(error) {
  if (error instanceof SessionEndedError) return;
  alertText.textContent = describeError(error);
  alertBox.hidden = false;
}

function hideAlert() {
  alertBox.hidden = true;
  alertText.textContent = '';
}

byId('alert-close', HTMLButtonElement).addEventListener('click', hideAlert);

// Messages

/**
 * @param {'user' | 'assistant'} role
 * @returns {HTMLElement}
 */
function messageElement(role) {
  return h(
    'article',
    { class: `message message-${role}`, 'aria-label': role === 'user' ? 'You' : 'Assistant' },
    h('p', { class: 'message-role' }, role === 'user' ? 'You' : 'Assistant'),
    h('div', { class: 'message-body' }),
  );
}

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
function setContent(element, text) {
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
function setStatus(element, text, isError) {
  element.querySelector('.message-status')?.remove();
  if (text) element.append(h('p', { class: `message-status${isError ? ' is-error' : ''}` }, text));
}

/** @param {Message} message */
function storedMessageElement(message) {
  const element = messageElement(message.role);
  element.dataset.id = message.id;
  setContent(element, message.content);
  if (message.status === 'incomplete') setStatus(element, 'Stopped: this answer is incomplete.', false);
  if (message.status === 'error') {
    setStatus(element, `The answer failed: ${message.error ?? 'the model provider failed'}.`, true);
  }
  return element;
}

function isScrolledToEnd() {
  return messagesBox.scrollHeight - messagesBox.scrollTop - messagesBox.clientHeight < 48;
}

function scrollToEnd() {
  messagesBox.scrollTop = messagesBox.scrollHeight;
}

/** @param {Node[]} nodes */
function showMessages(nodes) {
  emptyChat.hidden = nodes.length > 0;
  messagesBox.replaceChildren(emptyChat, ...nodes);
  scrollToEnd();
}

// The open conversation

function renderHeader() {
  titleHeading.textContent = conversation ? titleOf(conversation) : 'New chat';
  actions.hidden = !conversation;
  archiveButton.textContent = conversation?.archived ? 'Unarchive' : 'Archive';
  saveSystemPrompt.hidden = !conversation;
  systemPromptHint.hidden = Boolean(conversation);
  renderModelOptions();
}

function renderComposer() {
  const streaming = conversation !== null && live.has(conversation.id);
  sendButton.hidden = streaming;
  stopButton.hidden = !streaming;
  messagesBox.setAttribute('aria-busy', String(streaming));
}

/** A blank chat: the conversation is created when its first message is sent. */
export function openNewChat() {
  opening += 1;
  conversation = null;
  setCurrent(null);
  hideAlert();
  systemPrompt.value = '';
  systemPromptPanel.open = false;
  renderHeader();
  renderComposer();
  showMessages([]);
  input.focus();
}

/** @param {string} id */
export async function openConversation(id) {
  if (conversation?.id === id) return;
  const mine = ++opening;
  conversation = null;
  setCurrent(id);
  hideAlert();
  titleHeading.textContent = 'Loading…';
  actions.hidden = true;
  showMessages([h('p', { class: 'empty-chat', role: 'status' }, 'Loading messages…')]);
  emptyChat.hidden = true;
  try {
    /** @type {Conversation} */
    const found = await api(`/conversations/${encodeURIComponent(id)}`);
    /** @type {Message[]} */
    const history = [];
    /** @type {string | null | undefined} */
    let cursor;
    do {
      /** @type {{ items: Message[], nextCursor: string | null }} */
      const page = await api(
        `/conversations/${encodeURIComponent(id)}/messages${query({ limit: HISTORY_PAGE, cursor })}`,
      );
      history.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && mine === opening);
    if (mine !== opening) return;
    conversation = found;
    systemPrompt.value = found.systemPrompt ?? '';
    renderHeader();
    /** @type {Node[]} */
    const nodes = history.map(storedMessageElement);
    // An answer still streaming is not stored yet: its live elements are shown after what is.
    const exchange = live.get(id);
    if (exchange) {
      if (!history.some((message) => message.id === exchange.confirmedUserId)) nodes.push(exchange.userElement);
      nodes.push(exchange.assistantElement);
    }
    showMessages(nodes);
    renderComposer();
    input.focus();
  } catch (error) {
    if (mine !== opening) return;
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      location.hash = '';
      openNewChat();
      showError(new ApiError({ status: 404, message: 'That conversation does not exist or was deleted.' }));
    } else {
      titleHeading.textContent = 'Could not open the conversation';
      showMessages([]);
      showError(error);
    }
  }
}

/** Whose draft the message box holds. */
/** @type {string | null} */
let draftOwner = null;

/**
 * Readies the chat for a person who just signed in. A draft left from a session that ended under them is still
 * in the message box for them, and only for them.
 * @param {string} userId
 */
export function startChat(userId) {
  if (draftOwner !== userId) input.value = '';
  draftOwner = userId;
}

/**
 * Forgets the signed-in person's conversations, stopping any answer still streaming. `keepDraft` leaves the
 * message box as it is, for when the session ended rather than the person logging out.
 * @param {{ keepDraft?: boolean }} [options]
 */
export function resetChat({ keepDraft = false } = {}) {
  for (const exchange of live.values()) exchange.controller.abort();
  live.clear();
  models = [];
  conversation = null;
  opening += 1;
  if (!keepDraft) {
    input.value = '';
    draftOwner = null;
  }
  hideAlert();
  showMessages([]);
}

// Models

export async function loadModels() {
  modelSelect.disabled = true;
  try {
    /** @type {{ items: Model[] }} */
    const answer = await api('/ai/models');
    models = answer.items;
    renderModelOptions();
  } catch (error) {
    showError(error);
  } finally {
    modelSelect.disabled = false;
  }
}

function renderModelOptions() {
  /** @type {HTMLOptionElement[]} */
  const options = models.map((model) => h('option', { value: model.id }, model.id));
  if (!conversation) {
    const chosen = modelSelect.value;
    options.unshift(h('option', { value: '' }, 'Default model'));
    modelSelect.replaceChildren(...options);
    modelSelect.value = models.some((model) => model.id === chosen) ? chosen : '';
    return;
  }
  if (!models.some((model) => model.id === conversation?.model)) {
    options.unshift(h('option', { value: conversation.model }, `${conversation.model} (unavailable)`));
  }
  modelSelect.replaceChildren(...options);
  modelSelect.value = conversation.model;
}

modelSelect.addEventListener('change', async () => {
  if (!conversation) return;
  const target = conversation;
  const previous = target.model;
  modelSelect.disabled = true;
  try {
    /** @type {Conversation} */
    const updated = await api(`/conversations/${target.id}`, { method: 'PATCH', body: { model: modelSelect.value } });
    changed(updated, { moveToTop: false });
  } catch (error) {
    modelSelect.value = previous;
    showError(error);
  } finally {
    modelSelect.disabled = false;
  }
});

saveSystemPrompt.addEventListener('click', async () => {
  if (!conversation) return;
  const id = conversation.id;
  const value = systemPrompt.value.trim();
  try {
    /** @type {Conversation} */
    const updated = await whileBusy(saveSystemPrompt, 'Saving…', () =>
      api(`/conversations/${id}`, { method: 'PATCH', body: { systemPrompt: value || null } }),
    );
    changed(updated, { moveToTop: false });
    systemPromptHint.textContent = 'Saved.';
    systemPromptHint.hidden = false;
  } catch (error) {
    showError(error);
  }
});

systemPrompt.addEventListener('input', () => {
  systemPromptHint.textContent = 'Used from the first message you send.';
  systemPromptHint.hidden = Boolean(conversation);
});

/**
 * Takes in a changed conversation: the header when it is the open one, and the list.
 * @param {Conversation} updated
 * @param {{ moveToTop?: boolean }} [options]
 */
function changed(updated, options) {
  if (conversation?.id === updated.id) {
    conversation = updated;
    renderHeader();
  }
  upsertConversation(updated, options);
  if (conversation?.id === updated.id) setCurrent(updated.id);
}

// Rename, archive, delete

renameButton.addEventListener('click', async () => {
  if (!conversation) return;
  const target = conversation;
  const title = await renameDialog(titleOf(target));
  if (!title) return;
  try {
    changed(await api(`/conversations/${target.id}`, { method: 'PATCH', body: { title } }), { moveToTop: false });
  } catch (error) {
    showError(error);
  }
});

archiveButton.addEventListener('click', async () => {
  if (!conversation) return;
  const target = conversation;
  try {
    /** @type {Conversation} */
    const updated = await whileBusy(archiveButton, target.archived ? 'Unarchiving…' : 'Archiving…', () =>
      api(`/conversations/${target.id}`, { method: 'PATCH', body: { archived: !target.archived } }),
    );
    changed(updated, { moveToTop: false });
  } catch (error) {
    showError(error);
  }
});

deleteButton.addEventListener('click', async () => {
  if (!conversation) return;
  const target = conversation;
  const confirmed = await confirmDialog({
    title: 'Delete conversation?',
    text: `“${titleOf(target)}” and all its messages will be deleted. This cannot be undone.`,
    confirmLabel: 'Delete',
  });
  if (!confirmed) return;
  try {
    await whileBusy(deleteButton, 'Deleting…', () => api(`/conversations/${target.id}`, { method: 'DELETE' }));
    live.get(target.id)?.controller.abort();
    removeConversation(target.id);
    if (conversation?.id === target.id) location.hash = '';
  } catch (error) {
    showError(error);
  }
});

// Sending

input.addEventListener('keydown', (event) => {
  // Enter sends and Shift+Enter starts a new line; Enter that confirms an input method's composition does neither.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim() || (conversation && live.has(conversation.id))) return;
  input.value = '';
  void send(text);
});

stopButton.addEventListener('click', () => {
  if (conversation) live.get(conversation.id)?.controller.abort();
});

/**
 * Sends a message and streams the answer into the page. The text stays on the page whatever happens: it is
 * shown at once, and put back into the message box when the server did not take it.
 * @param {string} text
 */
async function send(text) {
  hideAlert();
  let target = conversation;
  if (!target) {
    try {
      target = await whileBusy(sendButton, 'Sending…', () => createConversation());
    } catch (error) {
      restoreDraft(text);
      showError(error);
      return;
    }
  }
  const id = target.id;
  const userElement = messageElement('user');
  setContent(userElement, text);
  const assistantElement = messageElement('assistant');
  assistantElement.setAttribute('aria-busy', 'true');
  /** @type {LiveExchange} */
  const exchange = { controller: new AbortController(), userElement, assistantElement, confirmedUserId: null };
  live.set(id, exchange);
  if (conversation?.id === id) {
    emptyChat.hidden = true;
    messagesBox.append(userElement, assistantElement);
    scrollToEnd();
    renderComposer();
  }

  let answer = '';
  let ended = false;
  /** @type {number | undefined} */
  let frame;
  try {
    const response = await request(`/conversations/${id}/messages`, {
      method: 'POST',
      body: { content: text },
      accept: 'text/event-stream',
      signal: exchange.controller.signal,
    });
    for await (const { event, data } of readEvents(response)) {
      if (event === 'user_message') {
        exchange.confirmedUserId = data.id;
        userElement.dataset.id = data.id;
      } else if (event === 'delta') {
        answer += data.text;
        // Rendered at most once a frame, however fast the deltas come.
        frame ??= requestAnimationFrame(() => {
          frame = undefined;
          setContent(assistantElement, answer);
        });
      } else if (event === 'assistant_message') {
        ended = true;
        cancelAnimationFrame(frame ?? 0);
        assistantElement.dataset.id = data.id;
        setContent(assistantElement, data.content);
      } else if (event === 'error') {
        ended = true;
        cancelAnimationFrame(frame ?? 0);
        setContent(assistantElement, answer);
        setStatus(assistantElement, `The answer failed: ${data.message}`, true);
      }
    }
    if (!ended) {
      setContent(assistantElement, answer);
      setStatus(assistantElement, 'The answer was cut short: the connection closed before it was complete.', true);
    }
  } catch (error) {
    cancelAnimationFrame(frame ?? 0);
    if (isAbort(error)) {
      setContent(assistantElement, answer);
      setStatus(assistantElement, 'Stopped: this answer is incomplete.', false);
    } else if (exchange.confirmedUserId) {
      setContent(assistantElement, answer);
      setStatus(assistantElement, `The answer was cut short: ${describeError(error)}`, true);
    } else {
      // The server never took the message: it goes back into the message box, nothing is lost.
      userElement.remove();
      assistantElement.remove();
      restoreDraft(text);
      showError(error);
    }
  } finally {
    assistantElement.removeAttribute('aria-busy');
    live.delete(id);
    renderComposer();
    await refreshConversation(id);
  }
}

/** @param {string} text */
function restoreDraft(text) {
  input.value = input.value.trim() ? `${text}\n\n${input.value}` : text;
}

/** Creates the conversation of a new chat with the model and system prompt chosen for it, and opens it. */
async function createConversation() {
  /** @type {{ model?: string, systemPrompt?: string }} */
  const body = {};
  if (modelSelect.value) body.model = modelSelect.value;
  if (systemPrompt.value.trim()) body.systemPrompt = systemPrompt.value.trim();
  /** @type {Conversation} */
  const created = await api('/conversations', { method: 'POST', body });
  conversation = created;
  opening += 1;
  // The address names the conversation, so a reload comes back to it; replaceState does not fire hashchange.
  history.replaceState(null, '', `#/c/${created.id}`);
  renderHeader();
  upsertConversation(created);
  setCurrent(created.id);
  return created;
}

/** The server titles a conversation after its first message and moves it up; the list follows. */
/** @param {string} id */
async function refreshConversation(id) {
  try {
    changed(await api(`/conversations/${id}`));
  } catch {
    // Deleted meanwhile, or signed out: nothing to update.
  }
}
