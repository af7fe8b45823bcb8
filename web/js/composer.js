// @ts-check
import {
  ApiError,
  cancelGeneration,
  createConversation,
  deleteConversation,
  followGeneration,
  getConversation,
  listMessages,
  sendMessage,
} from './api.js';
import { hideAlert, showError, showNotice } from './alerts.js';
import { attachmentList, attachmentsBlocked, clearAttachments, takeAttachments } from './attachments.js';
import { fetchBranchEnd, fetchTail, reloadAfter, showTail } from './branch.js';
import { changed, modelSelect, refreshConversation, renderHeader, systemPrompt } from './chat-header.js';
import { byId, whileBusy } from './dom.js';
import { describeError, isAbort } from './errors.js';
import {
  indexOf,
  messageElement,
  messagesBox,
  renderToolsState,
  replaceAfter,
  setContent,
  setStatus,
  showBranch,
  showPlaceholder,
} from './messages-view.js';
import { removeConversation, setCurrent } from './sidebar.js';
import { settlingHere, state, streamingHere } from './state.js';
import { readEvents } from './stream.js';

/** @typedef {import('./state.js').Conversation} Conversation */
/** @typedef {import('./state.js').LiveExchange} LiveExchange */

const composer = byId('composer', HTMLFormElement);
export const input = byId('message-input', HTMLTextAreaElement);
const sendButton = byId('send', HTMLButtonElement);
const stopButton = byId('stop', HTMLButtonElement);

export function renderComposer() {
  const streaming = streamingHere();
  sendButton.hidden = streaming;
  sendButton.disabled = settlingHere() || state.unopened !== null;
  stopButton.hidden = !streaming;
  messagesBox.setAttribute('aria-busy', String(streaming));
  renderToolsState();
}

input.addEventListener('keydown', (event) => {
  // Enter sends and Shift+Enter starts a new line; Enter that confirms an input method's composition does neither.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

/**
 * The conversation whose question was submitted while its last answer was settling: it is sent once the stored
 * answer is on show, so that it goes under it, instead of the Enter being lost.
 * @type {string | null}
 */
let sendWhenSettled = null;

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  // While the conversation in the address loads (or after it failed to), the text waits in the box.
  if (!text.trim() || streamingHere() || state.unopened !== null) return;
  if (settlingHere()) {
    sendWhenSettled = state.conversation?.id ?? null;
    return;
  }
  const blocked = attachmentsBlocked();
  if (blocked) {
    showNotice(blocked);
    return;
  }
  input.value = '';
  void send(text);
});

stopButton.addEventListener('click', () => {
  if (!state.conversation) return;
  const exchange = state.live.get(state.conversation.id);
  if (!exchange) return;
  // Closing the stream would not stop the answer: it runs on the server until cancelled, from any tab.
  if (exchange.generationId) stopGeneration(state.conversation.id, exchange.generationId);
  else exchange.stopRequested = true;
});

/**
 * Asks the server to stop the answer; the stream then ends with the answer as stored, `incomplete`.
 * @param {string} conversationId
 * @param {string} generationId
 */
function stopGeneration(conversationId, generationId) {
  cancelGeneration(conversationId, generationId).catch((error) => {
    // Already ended (409): the stream brings the end anyway.
    if (error?.status !== 409) showError(error);
  });
}

/**
 * Sends what was typed in the message box, with the files attached to it, at the end of the branch on show. The
 * text and files stay on the page whatever happens: they are shown at once, and put back into the message box
 * when the server did not take them.
 * @param {string} text
 */
async function send(text) {
  hideAlert();
  const attached = takeAttachments();
  /** @param {unknown} error */
  const giveBack = (error) => {
    restoreDraft(text);
    attached.restore();
    showError(error);
  };
  let target = state.conversation;
  const createdHere = !target;
  if (!target) {
    try {
      target = await whileBusy(sendButton, 'Sending…', () => createOpenConversation());
    } catch (error) {
      giveBack(error);
      return;
    }
  }
  const conversationId = target.id;
  // The last answer here ended, but what the server stored could not be read: read it now, or the question
  // would go under the message before it, on a branch of its own.
  const unsettled = state.unsettled.get(conversationId);
  if (unsettled) {
    const shown = await whileBusy(sendButton, 'Sending…', () => showStored(unsettled, conversationId));
    // Still unread (the network): kept for later. Read, or gone (the server then answers the send as it should).
    if (!shown && state.unsettled.has(conversationId)) {
      giveBack(new ApiError({ status: 0, network: true, message: 'the last answer could not be read back' }));
      return;
    }
  }
  const leaf = state.path.at(-1) ?? null;
  // Under the answer on show, which need not be the server's current leaf when another tab chose another branch.
  /** @type {{ content: string, parentId?: string, fileIds?: string[] }} */
  const body = { content: text };
  if (leaf?.role === 'assistant') body.parentId = leaf.id;
  if (attached.files.length > 0) body.fileIds = attached.files.map((file) => file.id);
  let answerRunning = false;
  await runExchange({
    conversation: target,
    anchorId: leaf?.id ?? null,
    question: text,
    files: attached.files,
    focus: null,
    start: (signal) => sendMessage(conversationId, body, signal),
    onRefused: (error) => {
      if (error instanceof ApiError && error.code === 'CONVERSATION_NOT_FOUND') {
        // Deleted in another tab or on another device: the message stays in the box, for a new chat.
        giveBack(new ApiError({ status: 404, message: 'That conversation was deleted, here or on another device.' }));
        leaveConversation(conversationId);
        return;
      }
      // Another tab or device is getting an answer here: this one shows it arriving, under the question it was
      // for, and the message waits in the box to be sent once it has ended.
      if (error instanceof ApiError && error.code === 'GENERATION_IN_PROGRESS') answerRunning = true;
      giveBack(error);
      // A conversation made for this message and left empty goes again: the chat is new, as before. Only on the
      // server's own refusal: after a network failure or a proxy's 5xx it may have taken the message after all.
      const refused = error instanceof ApiError && !error.network && error.status >= 400 && error.status < 500;
      if (createdHere && refused && state.path.length === 0) void discardEmpty(conversationId);
    },
  });
  if (answerRunning && state.conversation?.id === conversationId) await catchUp();
}

/**
 * Deletes a conversation just made for a first message that the server refused, and shows a new chat again
 * (the message is back in the box). Kept when it has messages after all, or cannot be deleted.
 * @param {string} id
 */
async function discardEmpty(id) {
  try {
    // Another tab may have sent into it meanwhile: kept then.
    if ((await listMessages(id, { limit: 1 })).items.length > 0) return;
    await deleteConversation(id);
  } catch {
    return;
  }
  leaveConversation(id);
}

/**
 * Takes a conversation that is gone off the list and, when it is open, shows a new chat in its place, keeping
 * what the alert says.
 * @param {string} id
 */
function leaveConversation(id) {
  removeConversation(id);
  if (state.conversation?.id !== id) return;
  state.conversation = null;
  setCurrent(null);
  // replaceState fires no hashchange, which would open a new chat and hide the reason the message was refused.
  history.replaceState(null, '', location.pathname + location.search);
  renderHeader();
  showPlaceholder([]);
  renderComposer();
}

/** @param {string} text */
function restoreDraft(text) {
  input.value = input.value.trim() ? `${text}\n\n${input.value}` : text;
}

/** Creates the conversation of a new chat with the model and system prompt chosen for it, and opens it. */
async function createOpenConversation() {
  /** @type {{ model?: string, systemPrompt?: string }} */
  const body = {};
  if (modelSelect.value) body.model = modelSelect.value;
  if (systemPrompt.value.trim()) body.systemPrompt = systemPrompt.value.trim();
  const created = await createConversation(body);
  state.conversation = created;
  state.opening += 1;
  // The address names the conversation, so a reload comes back to it; replaceState does not fire hashchange.
  history.replaceState(null, '', `#/c/${created.id}`);
  changed(created);
  return created;
}

/**
 * @typedef {object} ExchangeSpec
 * @property {Conversation} conversation
 * @property {string | null} anchorId the message the new ones go under; what followed it is replaced on the page
 * @property {string | null} question the text of the new question; null when a question gets another answer
 * @property {import('./state.js').StoredFile[]} [files] the files attached to the new question
 * @property {(signal: AbortSignal) => Promise<Response>} start makes the request whose body streams the answer
 * @property {'question' | 'answer' | null} focus the new message that takes the focus, if any
 * @property {string} [generationId] known already when following an answer that is being generated
 * @property {(error: unknown) => void} onRefused the server stored nothing: the page is as it was before
 */

/**
 * Streams an answer into the page: to a question sent, edited, or asked again. What followed the anchor
 * makes way for it at once; once it has ended, the page shows what the server stored, with its buttons.
 * @param {ExchangeSpec} spec
 */
export async function runExchange(spec) {
  // Following an answer asked for elsewhere leaves what the alert says about this page's last action.
  if (!spec.generationId) hideAlert();
  const id = spec.conversation.id;
  const userElement = spec.question === null ? null : messageElement('user');
  if (userElement && spec.question !== null) setContent(userElement, spec.question);
  if (userElement && spec.files?.length) userElement.querySelector('.message-body')?.after(attachmentList(spec.files));
  const assistantElement = messageElement('assistant');
  assistantElement.setAttribute('aria-busy', 'true');
  const liveElements = userElement ? [userElement, assistantElement] : [assistantElement];
  /** @type {LiveExchange} */
  const exchange = {
    controller: new AbortController(),
    generationId: spec.generationId ?? null,
    stopRequested: false,
    userElement,
    assistantElement,
    confirmedUserId: null,
    anchorId: spec.anchorId,
  };
  state.live.set(id, exchange);
  const keep = () => (spec.anchorId === null ? 0 : indexOf(spec.anchorId) + 1);
  // Kept to be put back if the server refuses: nothing of it was deleted.
  const replaced = state.conversation?.id === id ? state.path.slice(keep()) : [];
  if (state.conversation?.id === id) {
    replaceAfter(keep(), [], liveElements);
    renderComposer();
    if (spec.focus === 'question') userElement?.focus();
    if (spec.focus === 'answer') assistantElement.focus();
  }

  let answer = '';
  let accepted = false;
  let ended = false;
  let refused = false;
  let lastEventId = 0;
  const tries = { count: 0 };
  /** @type {number | undefined} */
  let frame;
  /** @param {{ event: string, data: any }} item */
  const take = ({ event, data }) => {
    if (event === 'user_message') {
      exchange.confirmedUserId = data.id;
      if (userElement) userElement.dataset.id = data.id;
    } else if (event === 'generation') {
      if (data?.assistantMessage?.id) assistantElement.dataset.id = data.assistantMessage.id;
      exchange.generationId = data?.id ?? null;
      if (exchange.stopRequested && exchange.generationId) stopGeneration(id, exchange.generationId);
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
  };
  try {
    let response = await spec.start(exchange.controller.signal);
    accepted = true;
    for (;;) {
      /** @type {unknown} */
      let broken = null;
      try {
        for await (const item of readEvents(response)) {
          // After a reconnection the server starts after the last event seen; should one come again all the
          // same, it is not applied twice.
          if (item.id !== null) {
            if (item.id <= lastEventId) continue;
            lastEventId = item.id;
          }
          tries.count = 0;
          take(item);
        }
      } catch (error) {
        if (isAbort(error)) throw error;
        broken = error;
      }
      if (ended) break;
      // The answer goes on on the server: follow it again from where the stream broke.
      if (exchange.generationId) {
        setContent(assistantElement, answer);
        setStatus(assistantElement, 'The connection was lost. Reconnecting…', false);
        response = await reconnect(id, exchange.generationId, lastEventId, exchange.controller.signal, tries);
        setStatus(assistantElement, '', false);
        continue;
      }
      if (broken) throw broken;
      setContent(assistantElement, answer);
      setStatus(assistantElement, 'The answer was cut short: the connection closed before it was complete.', true);
      break;
    }
  } catch (error) {
    cancelAnimationFrame(frame ?? 0);
    if (isAbort(error)) {
      setContent(assistantElement, answer);
      setStatus(assistantElement, 'Stopped: this answer is incomplete.', false);
    } else if (accepted) {
      setContent(assistantElement, answer);
      setStatus(assistantElement, `The answer was cut short: ${describeError(error)}`, true);
    } else {
      refused = true;
      if (state.conversation?.id === id) replaceAfter(keep(), replaced);
      spec.onRefused(error);
    }
  } finally {
    assistantElement.removeAttribute('aria-busy');
    state.live.delete(id);
    state.settling.add(id);
    renderComposer();
  }
  let stored = false;
  try {
    if (refused) await refreshConversation(id);
    else stored = await showStored(exchange, id);
  } finally {
    state.settling.delete(id);
    renderComposer();
    if (sendWhenSettled === id) {
      sendWhenSettled = null;
      // Without the stored answer on show, the question would go under the message before it: it stays in the
      // box, to be sent again once the person has seen how things stand.
      if (stored && state.conversation?.id === id) composer.requestSubmit();
    }
  }
}

/** The pause before reconnecting to an answer whose stream broke, doubling from the first to the longest. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_LONGEST_MS = 8000;
/** Reconnections in a row with no event coming of them (about two minutes' worth), after which the page stops. */
const RECONNECT_ATTEMPTS = 20;

/**
 * Follows an answer again after its stream broke, from the last event seen, trying again after a pause that
 * grows (cut short when the browser says it is back online). `tries` counts the attempts since the last event
 * arrived, across calls: a stream that keeps closing before saying anything counts as failing too. Throws when
 * the answer cannot be followed: the server does not know it any more, the session ended, or the network
 * stayed away.
 * @param {string} id the conversation
 * @param {string} generationId
 * @param {number} lastEventId
 * @param {AbortSignal} signal
 * @param {{ count: number }} tries
 */
async function reconnect(id, generationId, lastEventId, signal, tries) {
  /** @type {unknown} */
  let failure = new ApiError({ status: 0, network: true, message: 'the stream kept closing' });
  while (tries.count < RECONNECT_ATTEMPTS) {
    // Jittered, so that the tabs of a browser that lost its network do not all come back at the same moment.
    const ms = Math.min(RECONNECT_FIRST_MS * 2 ** tries.count, RECONNECT_LONGEST_MS) * (0.75 + Math.random() / 2);
    tries.count += 1;
    await pause(ms, signal);
    try {
      return await followGeneration(id, generationId, lastEventId, signal);
    } catch (error) {
      const transient = error instanceof ApiError && (error.network || error.status === 429 || error.status >= 500);
      if (!transient) throw error;
      failure = error;
    }
  }
  throw failure;
}

/**
 * Waits `ms`, or less when the browser comes back online; rejects when `signal` is aborted.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      window.removeEventListener('online', settle);
      signal.removeEventListener('abort', settle);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(settle, ms);
    window.addEventListener('online', settle);
    signal.addEventListener('abort', settle);
    if (signal.aborted) settle();
  });
}

/**
 * Shows an answer that is being generated (started in another tab or device, or in this page before a reload)
 * as it arrives, in place of the part stored so far: the server sends the text so far first, then the rest.
 * Answers false when that answer is not on the branch on show, or one is streaming here already.
 * @param {Conversation} conversation the open one
 * @param {{ id: string, assistantMessageId: string }} generation
 */
export function followAnswer(conversation, generation) {
  const message = state.path.find((candidate) => candidate.id === generation.assistantMessageId);
  if (!message || state.live.has(conversation.id)) return false;
  const id = conversation.id;
  void runExchange({
    conversation,
    anchorId: message.parentId,
    question: null,
    focus: null,
    generationId: generation.id,
    start: (signal) => followGeneration(id, generation.id, 0, signal),
    // It ended in between: show it as stored.
    onRefused: () => {
      void refreshConversation(id).then(
        (updated) =>
          updated && state.conversation?.id === id && reloadAfter(message.parentId, updated.currentLeafId ?? null),
      );
    },
  });
  return true;
}

/**
 * Brings the open conversation up to date (when the person comes back to this tab, or sent while another tab's
 * answer was being written): its current branch is shown, an answer started on another tab or device streams in
 * from where it is, and one that ended shows as stored. Nothing changes while this page streams an answer
 * itself, nor when the branch's end is what is on show.
 */
export async function catchUp() {
  const open = state.conversation;
  if (!open || state.live.has(open.id)) return;
  const mine = state.opening;
  const updated = await refreshConversation(open.id);
  if (!updated || mine !== state.opening || state.live.has(open.id)) return;
  const leaf = state.path.at(-1);
  const current = updated.currentLeafId === (leaf?.id ?? null) && leaf?.status !== 'streaming';
  if (current && !updated.activeGeneration) return;
  try {
    const branch = await fetchBranchEnd(open.id);
    if (mine !== state.opening || state.live.has(open.id)) return;
    showBranch(branch.path, branch.olderCursor);
    if (updated.activeGeneration) followAnswer(updated, updated.activeGeneration);
    renderComposer();
  } catch {
    // Signed out, or the conversation went: the page says so when the person next acts.
  }
}

/**
 * Replaces the streamed elements with the messages the server stored, which carry their ids, their places
 * among their siblings and their buttons. An answer that was stopped can take the server a moment to store:
 * until it has, it is asked again a few times. Answers whether a stored answer is on show now.
 * @param {LiveExchange} exchange
 * @param {string} id the conversation
 * @returns {Promise<boolean>}
 */
async function showStored(exchange, id) {
  for (let attempt = 1; ; attempt += 1) {
    /** @type {Conversation | null} */
    let updated = null;
    try {
      updated = await getConversation(id);
      changed(updated);
    } catch (error) {
      // Deleted, or signed out: nothing to read back, ever. A network failure or a 5xx may pass.
      if (!transient(error)) {
        state.unsettled.delete(id);
        return false;
      }
    }
    if (state.conversation?.id !== id || state.live.has(id)) return false;
    // The branch through the answer streamed here (its id came with the stream), whichever branch another device
    // has chosen since; the branch's end when the stream said nothing of it.
    const leafId = exchange.assistantElement.dataset.id ?? updated?.currentLeafId;
    if (updated && leafId) {
      const mine = state.opening;
      try {
        const result = await fetchTail(id, leafId, exchange.anchorId);
        if (mine !== state.opening || state.live.has(id)) return false;
        const last = result.tail.at(-1);
        const settled = last?.role === 'assistant' && last.status !== 'streaming';
        if (settled || attempt === 5) {
          // Without a stored answer, the one streamed stays on show: it says how it ended.
          showTail(result, exchange.anchorId, last?.role === 'assistant' ? [] : [exchange.assistantElement]);
          state.unsettled.delete(id);
          return last?.role === 'assistant';
        }
      } catch (error) {
        // Signed out, or the conversation went: what streamed stays on show.
        if (!transient(error)) {
          state.unsettled.delete(id);
          return false;
        }
      }
    }
    // The conversation could not be read (the network failed a moment): asked again, a few times.
    if (attempt === 5) {
      state.unsettled.set(id, exchange);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 150 * attempt));
  }
}

/**
 * Whether a failed request may succeed if made again: the network, or the server for a moment.
 * @param {unknown} error
 */
const transient = (error) => error instanceof ApiError && (error.network || error.status >= 500);

/** Whose draft the message box holds. */
/** @type {string | null} */
let draftOwner = null;

/**
 * Readies the message box for a person who just signed in. A draft left from a session that ended under them
 * is still in it for them, and only for them.
 * @param {string} userId
 */
export function keepDraftFor(userId) {
  if (draftOwner !== userId) {
    input.value = '';
    // Files are the person's own: another's could not be sent, and are not theirs to see.
    clearAttachments();
  }
  draftOwner = userId;
}

export function clearDraft() {
  input.value = '';
  clearAttachments();
  draftOwner = null;
}
