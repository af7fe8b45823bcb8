// @ts-check
import { ApiError, getConversation } from './api.js';
import { hideAlert, showError } from './alerts.js';
import { fetchBranchEnd } from './branch.js';
import { renderHeader, resetSettings, showHeading, systemPrompt } from './chat-header.js';
import { clearDraft, input, keepDraftFor, renderComposer } from './composer.js';
import { h } from './dom.js';
import './message-actions.js';
import { indexOf, replaceAfter, showBranch, showPlaceholder } from './messages-view.js';
import { setCurrent } from './sidebar.js';
import { state } from './state.js';

export { loadModels } from './chat-header.js';
export { showError } from './alerts.js';

/** A blank chat: the conversation is created when its first message is sent. */
export function openNewChat() {
  state.opening += 1;
  state.conversation = null;
  setCurrent(null);
  hideAlert();
  resetSettings();
  renderHeader();
  renderComposer();
  showPlaceholder([]);
  input.focus();
}

/**
 * Opens a conversation at the end of the branch on show (the one chosen last, on any device); older messages
 * come as the person scrolls up.
 * @param {string} id
 */
export async function openConversation(id) {
  if (state.conversation?.id === id) return;
  const mine = ++state.opening;
  state.conversation = null;
  setCurrent(id);
  hideAlert();
  showHeading('Loading…');
  showPlaceholder([h('p', { class: 'empty-chat', role: 'status' }, 'Loading messages…')]);
  try {
    const [found, branch] = await Promise.all([getConversation(id), fetchBranchEnd(id)]);
    if (mine !== state.opening) return;
    state.conversation = found;
    systemPrompt.value = found.systemPrompt ?? '';
    renderHeader();
    showBranch(branch.path, branch.olderCursor);
    // An answer still streaming into this page goes where it belongs, in place of what the server has so far.
    const exchange = state.live.get(id);
    if (exchange) {
      const anchorAt = exchange.anchorId === null ? -1 : indexOf(exchange.anchorId);
      const keep = exchange.anchorId !== null && anchorAt < 0 ? state.path.length : anchorAt + 1;
      const { userElement, assistantElement } = exchange;
      replaceAfter(keep, [], userElement ? [userElement, assistantElement] : [assistantElement]);
    }
    renderComposer();
    input.focus();
  } catch (error) {
    if (mine !== state.opening) return;
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      location.hash = '';
      openNewChat();
      showError(new ApiError({ status: 404, message: 'That conversation does not exist or was deleted.' }));
    } else {
      showHeading('Could not open the conversation');
      showPlaceholder([]);
      showError(error);
    }
  }
}

/**
 * Readies the chat for a person who just signed in.
 * @param {string} userId
 */
export function startChat(userId) {
  keepDraftFor(userId);
}

/**
 * Forgets the signed-in person's conversations, stopping any answer still streaming. `keepDraft` leaves the
 * message box as it is, for when the session ended rather than the person logging out.
 * @param {{ keepDraft?: boolean }} [options]
 */
export function resetChat({ keepDraft = false } = {}) {
  for (const exchange of state.live.values()) exchange.controller.abort();
  state.live.clear();
  state.models = [];
  state.conversation = null;
  state.opening += 1;
  if (!keepDraft) clearDraft();
  hideAlert();
  showPlaceholder([]);
}
