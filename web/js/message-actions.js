// @ts-check
import {
  deleteMessage,
  forkConversation,
  getConversation,
  getTree,
  regenerateAnswer,
  sendMessage,
  setCurrentLeaf,
} from './api.js';
import { announce, showError } from './alerts.js';
import { reloadAfter } from './branch.js';
import { changed, ensureModels } from './chat-header.js';
import { input, runExchange } from './composer.js';
import { confirmDialog } from './dialogs.js';
import { copyText, h, whileBusy } from './dom.js';
import { elementOf, focusMessage, indexOf, messagesBox, nounOf } from './messages-view.js';
import { upsertConversation } from './sidebar.js';
import { busyHere, state } from './state.js';

/** @typedef {import('./state.js').Message} Message */

/** How long a Copy button says "Copied". */
const COPIED_MS = 2000;

/** One branch change at a time: a second click on a step button waits for nothing, it is dropped. */
let changingBranch = false;

messagesBox.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
  if (!(button instanceof HTMLButtonElement) || button.getAttribute('aria-disabled') === 'true') return;
  const article = button.closest('article');
  const message = state.path.find((candidate) => candidate.id === article?.dataset.id);
  if (!article || !message) return;
  void act(button.dataset.action ?? '', message, button, article).catch(showError);
});

/**
 * @param {string} action
 * @param {Message} message
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} article
 */
async function act(action, message, button, article) {
  switch (action) {
    case 'copy':
      return copy(message, button);
    case 'edit':
      return openEditor(article, message, message.content);
    case 'answer':
    case 'regenerate':
      return regenerate(message);
    case 'models':
      return toggleModels(button);
    case 'regenerate-with':
      return regenerate(message, button.dataset.model);
    case 'previous':
      return step(message, -1);
    case 'next':
      return step(message, 1);
    case 'fork':
      return fork(message, button);
    case 'delete':
      return remove(message, button);
  }
}

// Copy

/**
 * @param {Message} message
 * @param {HTMLButtonElement} button
 */
async function copy(message, button) {
  await copyText(message.content);
  const noun = nounOf(message.role);
  button.textContent = 'Copied';
  button.setAttribute('aria-label', `Copied ${noun}`);
  announce(`The ${noun} was copied to the clipboard.`);
  setTimeout(() => {
    button.textContent = 'Copy';
    button.setAttribute('aria-label', `Copy ${noun}`);
  }, COPIED_MS);
}

// Edit: the edited question goes in beside the first, and gets its own answer.

/**
 * @param {HTMLElement} article
 * @param {Message} message
 * @param {string} text
 */
function openEditor(article, message, text) {
  const body = /** @type {HTMLElement} */ (article.querySelector('.message-body'));
  const tools = /** @type {HTMLElement} */ (article.querySelector('.message-tools'));
  const field = h('textarea', { id: `edit-${message.id}`, rows: '3', maxlength: '100000' });
  field.value = text;
  const form = h(
    'form',
    { class: 'message-editor', novalidate: true },
    h('label', { for: field.id }, 'Edit your question'),
    field,
    h(
      'p',
      { class: 'editor-buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', 'data-editor': 'cancel' }, 'Cancel'),
    ),
  );
  body.hidden = true;
  tools.hidden = true;
  body.after(form);
  const close = () => {
    form.remove();
    body.hidden = false;
    tools.hidden = false;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const edited = field.value;
    if (!edited.trim() || busyHere()) return;
    close();
    void saveEdit(message, edited);
  });
  form.querySelector('[data-editor="cancel"]')?.addEventListener('click', () => {
    close();
    article.focus();
  });
  field.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
      article.focus();
    }
  });
  field.focus();
  field.setSelectionRange(field.value.length, field.value.length);
}

/**
 * @param {Message} message the question as it was
 * @param {string} text
 */
async function saveEdit(message, text) {
  const conversation = state.conversation;
  if (!conversation) return;
  // The new version asks about the same files as the first: they go with it.
  const files = message.attachments ?? [];
  /** @type {{ content: string, parentId: string | null, fileIds?: string[] }} */
  const body = { content: text, parentId: message.parentId };
  if (files.length > 0) body.fileIds = files.map((file) => file.id);
  await runExchange({
    conversation,
    anchorId: message.parentId,
    question: text,
    files,
    focus: 'question',
    start: (signal) => sendMessage(conversation.id, body, signal),
    onRefused: (error) => {
      showError(error);
      // Nothing was stored: the editor comes back with the edited text in it.
      const article = elementOf(message.id);
      if (article && state.conversation?.id === conversation.id) openEditor(article, message, text);
    },
  });
}

// Another answer, from the conversation's model or one chosen from the menu under the answer.

/**
 * @param {Message} message an answer, or a question without one
 * @param {string} [model]
 */
async function regenerate(message, model) {
  const conversation = state.conversation;
  if (!conversation || busyHere()) return;
  await runExchange({
    conversation,
    anchorId: message.role === 'assistant' ? message.parentId : message.id,
    question: null,
    focus: 'answer',
    start: (signal) => regenerateAnswer(conversation.id, message.id, model ? { model } : {}, signal),
    onRefused: showError,
  });
}

/** @param {HTMLButtonElement} toggle */
async function toggleModels(toggle) {
  const menu = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
  if (!menu) return;
  const open = toggle.getAttribute('aria-expanded') !== 'true';
  toggle.setAttribute('aria-expanded', String(open));
  menu.hidden = !open;
  if (!open) return;
  const ready = ensureModels();
  // The list could not be read before (a 429, the network): it is asked for again first.
  if (state.models.length === 0) {
    menu.replaceChildren(h('p', { class: 'hint', role: 'status' }, 'Loading models…'));
    const read = await ready;
    if (toggle.getAttribute('aria-expanded') !== 'true') return;
    if (!read) {
      menu.replaceChildren(
        h(
          'p',
          { class: 'hint', role: 'status' },
          'The models could not be loaded. Close this and try again in a moment.',
        ),
      );
      return;
    }
  }
  menu.replaceChildren(
    ...state.models.map((model) =>
      h(
        'button',
        {
          type: 'button',
          class: 'tool',
          'data-action': 'regenerate-with',
          'data-model': model.id,
          'aria-label': `Regenerate answer with ${model.id}`,
        },
        model.id,
      ),
    ),
  );
  if (state.models.length === 0) menu.append(h('p', { class: 'hint' }, 'No models are available.'));
  menu.querySelector('button')?.focus();
}

messagesBox.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !(event.target instanceof Element)) return;
  const menu = event.target.closest('.model-menu');
  const toggle = menu?.id ? messagesBox.querySelector(`[aria-controls="${menu.id}"]`) : null;
  if (toggle instanceof HTMLButtonElement) {
    event.preventDefault();
    void toggleModels(toggle);
    toggle.focus();
  }
});

// Siblings: stepping shows the other version's latest continuation, here and on every other device.

/**
 * @param {Message} message
 * @param {-1 | 1} direction
 */
async function step(message, direction) {
  const conversation = state.conversation;
  if (!conversation || changingBranch || busyHere()) return;
  changingBranch = true;
  try {
    const { items } = await getTree(conversation.id);
    const siblings = items
      .filter((item) => item.parentId === message.parentId)
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    const target = siblings[siblings.findIndex((item) => item.id === message.id) + direction];
    if (!target) return;
    const updated = await setCurrentLeaf(conversation.id, target.id);
    changed(updated, { moveToTop: false });
    if (!(await reloadAfter(message.parentId, updated.currentLeafId ?? null))) return;
    // The same button under the version now on show, so that stepping on is one more key press.
    if (!focusMessage(target.id, direction < 0 ? 'previous' : 'next')) focusMessage(state.path.at(-1)?.id ?? '');
  } finally {
    changingBranch = false;
  }
}

// Fork: a new conversation with a copy of the path up to the message, opened at once.

/**
 * @param {Message} message
 * @param {HTMLButtonElement} button
 */
async function fork(message, button) {
  const conversation = state.conversation;
  if (!conversation) return;
  const created = await whileBusy(button, 'Forking…', () => forkConversation(conversation.id, message.id));
  upsertConversation(created);
  announce('Forked into a new conversation.');
  location.hash = `#/c/${created.id}`;
}

// Delete: the message and everything below it, on every branch, after asking.

/**
 * @param {Message} message
 * @param {HTMLButtonElement} button
 */
async function remove(message, button) {
  const conversation = state.conversation;
  if (!conversation || busyHere()) return;
  const noun = nounOf(message.role);
  const confirmed = await confirmDialog({
    title: `Delete this ${noun}?`,
    text: `The ${noun} and every message after it, on every branch, will be deleted. This cannot be undone.`,
    confirmLabel: 'Delete',
  });
  if (!confirmed || state.conversation?.id !== conversation.id) return;
  const index = indexOf(message.id);
  await whileBusy(button, 'Deleting…', () => deleteMessage(conversation.id, message.id));
  // The server moved the current leaf, maybe onto a sibling's branch: the page shows where it went.
  const updated = await getConversation(conversation.id);
  changed(updated, { moveToTop: false });
  if (!(await reloadAfter(message.parentId, updated.currentLeafId ?? null))) return;
  announce(`The ${noun} was deleted.`);
  const next = state.path[index] ?? state.path[index - 1] ?? state.path.at(-1);
  if (!next || !focusMessage(next.id)) input.focus();
}
