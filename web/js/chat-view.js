// @ts-check
import { ApiError, getConversation } from './api.js';
import { clearAnnouncement, hideAlert, showError } from './alerts.js';
import { fetchBranchEnd } from './branch.js';
import { forgetModels, renderHeader, resetSettings, showHeading, systemPrompt } from './chat-header.js';
import { catchUp, clearDraft, followAnswer, input, keepDraftFor, renderComposer } from './composer.js';
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
  state.unopened = null;
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
  state.unopened = id;
  setCurrent(id);
  hideAlert();
  showHeading('Loading…');
  showPlaceholder([h('p', { class: 'empty-chat', role: 'status' }, 'Loading messages…')]);
  renderComposer();
  try {
    const [found, branch] = await Promise.all([getConversation(id), fetchBranchEnd(id)]);
    if (mine !== state.opening) return;
    state.conversation = found;
    state.unopened = null;
    // Read afresh: what this page had failed to read back is on show now.
    state.unsettled.delete(id);
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
    } else if (found.activeGeneration) {
      // An answer is being written (after a reload, or started on another device): the rest streams in.
      followAnswer(found, found.activeGeneration);
    }
    renderComposer();
    input.focus();
  } catch (error) {
    if (mine !== state.opening) return;
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      // replaceState fires no hashchange: that would open a new chat again, and hide the message below.
      history.replaceState(null, '', location.pathname + location.search);
      openNewChat();
      showError(new ApiError({ status: 404, message: 'That conversation does not exist or was deleted.' }));
    } else {
      showHeading('Could not open the conversation');
      showPlaceholder([]);
      renderComposer();
      showError(error);
    }
  }
}

// A tab brought back to the front catches up with what happened elsewhere meanwhile.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void catchUp();
});

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
  forgetModels();
  state.conversation = null;
  state.unopened = null;
  state.unsettled.clear();
  state.opening += 1;
  if (!keepDraft) clearDraft();
  hideAlert();
  clearAnnouncement();
  showPlaceholder([]);
}
