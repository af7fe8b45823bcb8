// @ts-check
import { ApiError, deleteConversation, getConversation, listModels, updateConversation } from './api.js';
import { showError } from './alerts.js';
import { confirmDialog, renameDialog } from './dialogs.js';
import { byId, h, whileBusy } from './dom.js';
import { removeConversation, setCurrent, titleOf, upsertConversation } from './sidebar.js';
import { state } from './state.js';

/** @typedef {import('./state.js').Conversation} Conversation */

const titleHeading = byId('chat-title', HTMLElement);
const actions = byId('chat-actions', HTMLElement);
const renameButton = byId('rename', HTMLButtonElement);
const archiveButton = byId('archive', HTMLButtonElement);
const deleteButton = byId('delete', HTMLButtonElement);
export const modelSelect = byId('model', HTMLSelectElement);
const systemPromptPanel = byId('system-prompt-panel', HTMLDetailsElement);
export const systemPrompt = byId('system-prompt', HTMLTextAreaElement);
const systemPromptHint = byId('system-prompt-hint', HTMLElement);
const saveSystemPrompt = byId('save-system-prompt', HTMLButtonElement);

export function renderHeader() {
  const { conversation } = state;
  titleHeading.textContent = conversation ? titleOf(conversation) : 'New chat';
  actions.hidden = !conversation;
  archiveButton.textContent = conversation?.archived ? 'Unarchive' : 'Archive';
  saveSystemPrompt.hidden = !conversation;
  systemPromptHint.hidden = Boolean(conversation);
  renderModelOptions();
}

/** @param {string} text what the heading says while there is no conversation to name */
export function showHeading(text) {
  titleHeading.textContent = text;
  actions.hidden = true;
}

/** The settings of a new chat: its system prompt starts empty and folded away. */
export function resetSettings() {
  systemPrompt.value = '';
  systemPromptPanel.open = false;
  // A new chat starts on the default model, not on the model of the conversation open before.
  modelSelect.value = '';
}

/**
 * Takes in a changed conversation: the header when it is the open one, and the list.
 * @param {Conversation} updated
 * @param {{ moveToTop?: boolean }} [options]
 */
export function changed(updated, options) {
  if (state.conversation?.id === updated.id) {
    state.conversation = updated;
    renderHeader();
  }
  upsertConversation(updated, options);
  if (state.conversation?.id === updated.id) setCurrent(updated.id);
}

/**
 * The server titles a conversation after its first message, moves it up and moves its current leaf; the page
 * follows. Answers with the conversation, or null when it could not be read (deleted meanwhile, signed out).
 * @param {string} id
 */
export async function refreshConversation(id) {
  try {
    const updated = await getConversation(id);
    changed(updated);
    return updated;
  } catch {
    return null;
  }
}

// Models

/** The pause before the list of models is read again after it failed to be, doubling up to the longest. */
const MODELS_RETRY_FIRST_MS = 5000;
const MODELS_RETRY_LONGEST_MS = 60_000;

/** Whether the list of models was read: until it is, no model is called unavailable, and it is asked for again. */
let modelsRead = false;
/** @type {Promise<boolean> | null} */
let modelsLoading = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let modelsRetry;
let modelsRetryMs = MODELS_RETRY_FIRST_MS;
/** Bumped when the person signs out, so that a list read for them is not shown to the next one. */
let modelsFor = 0;

/** Reads the list of models when the chat opens; the picker is off meanwhile. A failure is said once. */
export async function loadModels() {
  modelSelect.disabled = true;
  try {
    await readModels({ report: true });
  } finally {
    modelSelect.disabled = false;
  }
}

/**
 * Reads the list of models unless it was read already; answers whether it has been. One read at a time. A failure
 * (a 429 while rate-limited, the network) is tried again after a pause, and when the list is next needed.
 * @param {{ report?: boolean }} [options] whether a failure is shown in the alert
 * @returns {Promise<boolean>}
 */
export function ensureModels({ report = false } = {}) {
  return modelsRead ? Promise.resolve(true) : readModels({ report });
}

/** @param {{ report: boolean }} options */
function readModels({ report }) {
  if (modelsLoading) return modelsLoading;
  clearTimeout(modelsRetry);
  const mine = modelsFor;
  modelsLoading = (async () => {
    try {
      const { items } = await listModels();
      if (mine !== modelsFor) return false;
      state.models = items;
      modelsRead = true;
      modelsRetryMs = MODELS_RETRY_FIRST_MS;
      renderModelOptions();
      return true;
    } catch (error) {
      if (mine !== modelsFor) return false;
      if (report) showError(error);
      const wait = error instanceof ApiError && error.retryAfter ? error.retryAfter * 1000 : 0;
      modelsRetry = setTimeout(() => void readModels({ report: false }), Math.max(wait, modelsRetryMs));
      modelsRetryMs = Math.min(modelsRetryMs * 2, MODELS_RETRY_LONGEST_MS);
      return false;
    } finally {
      if (mine === modelsFor) modelsLoading = null;
    }
  })();
  return modelsLoading;
}

/** Forgets the list of models, and stops asking for it: the person signed out. */
export function forgetModels() {
  modelsFor += 1;
  clearTimeout(modelsRetry);
  modelsLoading = null;
  modelsRead = false;
  modelsRetryMs = MODELS_RETRY_FIRST_MS;
  state.models = [];
}

// Opening the picker asks for a list that could not be read before.
modelSelect.addEventListener('pointerdown', () => void ensureModels());
modelSelect.addEventListener('focus', () => void ensureModels());

function renderModelOptions() {
  const { conversation, models } = state;
  /** @type {HTMLOptionElement[]} */
  const options = models.map((model) => h('option', { value: model.id }, model.id));
  if (!conversation) {
    const chosen = modelSelect.value;
    options.unshift(h('option', { value: '' }, 'Default model'));
    modelSelect.replaceChildren(...options);
    modelSelect.value = models.some((model) => model.id === chosen) ? chosen : '';
    return;
  }
  if (!models.some((model) => model.id === conversation.model)) {
    // Unavailable only when the list says so: a list that could not be read says nothing of it.
    const label = modelsRead ? `${conversation.model} (unavailable)` : conversation.model;
    options.unshift(h('option', { value: conversation.model }, label));
  }
  modelSelect.replaceChildren(...options);
  modelSelect.value = conversation.model;
}

modelSelect.addEventListener('change', async () => {
  if (!state.conversation) return;
  const target = state.conversation;
  const previous = target.model;
  modelSelect.disabled = true;
  try {
    changed(await updateConversation(target.id, { model: modelSelect.value }), { moveToTop: false });
  } catch (error) {
    modelSelect.value = previous;
    showError(error);
  } finally {
    modelSelect.disabled = false;
  }
});

// System prompt

saveSystemPrompt.addEventListener('click', async () => {
  if (!state.conversation) return;
  const id = state.conversation.id;
  const value = systemPrompt.value.trim();
  try {
    const updated = await whileBusy(saveSystemPrompt, 'Saving…', () =>
      updateConversation(id, { systemPrompt: value || null }),
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
  systemPromptHint.hidden = Boolean(state.conversation);
});

// Rename, archive, delete

renameButton.addEventListener('click', async () => {
  if (!state.conversation) return;
  const target = state.conversation;
  const title = await renameDialog(titleOf(target));
  if (!title) return;
  try {
    changed(await updateConversation(target.id, { title }), { moveToTop: false });
  } catch (error) {
    showError(error);
  }
});

archiveButton.addEventListener('click', async () => {
  if (!state.conversation) return;
  const target = state.conversation;
  try {
    const updated = await whileBusy(archiveButton, target.archived ? 'Unarchiving…' : 'Archiving…', () =>
      updateConversation(target.id, { archived: !target.archived }),
    );
    changed(updated, { moveToTop: false });
  } catch (error) {
    showError(error);
  }
});

deleteButton.addEventListener('click', async () => {
  if (!state.conversation) return;
  const target = state.conversation;
  const confirmed = await confirmDialog({
    title: 'Delete conversation?',
    text: `“${titleOf(target)}” and all its messages will be deleted. This cannot be undone.`,
    confirmLabel: 'Delete',
  });
  if (!confirmed) return;
  try {
    await whileBusy(deleteButton, 'Deleting…', () => deleteConversation(target.id));
    state.live.get(target.id)?.controller.abort();
    removeConversation(target.id);
    if (state.conversation?.id === target.id) location.hash = '';
  } catch (error) {
    showError(error);
  }
});
