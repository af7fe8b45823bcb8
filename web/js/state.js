// @ts-check

/**
 * @typedef {object} Conversation
 * @property {string} id
 * @property {string | null} title
 * @property {string} model
 * @property {string | null} systemPrompt
 * @property {boolean} archived
 * @property {string | null} [currentLeafId] the end of the branch on show, on every device
 * @property {{ id: string, assistantMessageId: string } | null} [activeGeneration] the answer being generated now
 * @property {string} createdAt
 * @property {string} updatedAt
 */

/**
 * @typedef {object} Message
 * @property {string} id
 * @property {string} conversationId
 * @property {string | null} parentId
 * @property {number} siblingIndex from 0, in the order the siblings were made
 * @property {number} siblingCount
 * @property {'user' | 'assistant'} role
 * @property {string} content
 * @property {string} model the model asked
 * @property {string | null} [servedBy] the model that answered: `model`, or a fallback of it
 * @property {'streaming' | 'complete' | 'incomplete' | 'error'} status
 * @property {string | null} error
 * @property {string | null} [editedAt]
 * @property {StoredFile[]} [attachments] the files attached to a question
 * @property {string} createdAt
 */

/** @typedef {{ id: string, provider: string, name: string }} Model */

/**
 * @typedef {object} StoredFile
 * @property {string} id
 * @property {string} name
 * @property {string} mimeType
 * @property {number} size
 * @property {'image' | 'document'} kind
 * @property {'processing' | 'ready' | 'failed'} status
 * @property {string | null} [error]
 */

/**
 * An answer being streamed into this page. Its elements are kept, to be shown again if its conversation is
 * opened again before the answer ends.
 * @typedef {object} LiveExchange
 * @property {AbortController} controller aborting it stops reading; the server's generation runs on
 * @property {string | null} generationId known from the `generation` event; Stop cancels it on the server
 * @property {boolean} stopRequested Stop was pressed before the generation's id arrived
 * @property {HTMLElement | null} userElement null when regenerating: no new question
 * @property {HTMLElement} assistantElement
 * @property {string | null} confirmedUserId set once the server has stored the question
 * @property {string | null} anchorId the message the new ones go under, null for a new first message
 */

/** What the chat shows. Views read it; the modules that change it say so in their names. */
export const state = {
  /** The open conversation; null for a new chat that has no messages yet. */
  /** @type {Conversation | null} */
  conversation: null,
  /** The loaded part of the open conversation's branch, oldest first; its last message is the branch's leaf. */
  /** @type {Message[]} */
  path: [],
  /** Where older messages of the branch continue; null when the first one is loaded. */
  /** @type {string | null} */
  olderCursor: null,
  /** @type {Model[]} */
  models: [],
  /** @type {Map<string, LiveExchange>} by conversation id */
  live: new Map(),
  /**
   * Conversations whose answer has just ended and whose stored messages are being read to replace what was
   * streamed: a question sent meanwhile would go under the message shown before the answer.
   * @type {Set<string>}
   */
  settling: new Set(),
  /**
   * Conversations whose answer ended here but whose stored messages could not be read (the network failed):
   * before anything is sent under it, the page reads them again, so that it goes under that answer.
   * @type {Map<string, LiveExchange>}
   */
  unsettled: new Map(),
  /**
   * The conversation the address names while it is not open: loading, or it failed to load. Nothing is sent
   * meanwhile, since a message would otherwise start a new conversation.
   * @type {string | null}
   */
  unopened: null,
  /** Bumped whenever another conversation is opened, so that late answers for the previous one are dropped. */
  opening: 0,
};

/** Whether an answer is being streamed into the open conversation. */
export const streamingHere = () => state.conversation !== null && state.live.has(state.conversation.id);

/** Whether the open conversation's answer has ended and its stored messages are not shown yet. */
export const settlingHere = () => state.conversation !== null && state.settling.has(state.conversation.id);

/** Whether the open conversation's last answer is streaming or settling: what changes the branch waits for it. */
export const busyHere = () => streamingHere() || settlingHere();
