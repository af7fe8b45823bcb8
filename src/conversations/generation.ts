import type { MessageResponseDto } from './dto/message-response.dto';

export type GenerationEventName = 'user_message' | 'generation' | 'delta' | 'assistant_message' | 'error';

/** One event of a generation, numbered from 1; `data` is what goes on the wire as JSON. */
export interface GenerationEvent {
  id: number;
  event: GenerationEventName;
  data: unknown;
}

export interface GenerationListener {
  /** Every event after the one the viewer asked to start after, in order, without gap or repetition. */
  onEvent(event: GenerationEvent): void;
}

/**
 * Deltas kept for replay, whichever limit is reached first. Older ones are dropped; a viewer that asks for them
 * gets their text joined into one delta (see `subscribe`). About 10 KiB per running answer, with the text so far.
 */
export const MAX_BUFFERED_DELTAS = 128;
export const MAX_BUFFERED_CHARS = 4_096;

/**
 * The production of one answer, whoever watches it: its numbered events, the text so far, and its viewers.
 * A viewer that leaves only unsubscribes; the generation runs on until it ends (see GenerationRegistry).
 */
export class Generation {
  /** The events that are never dropped: `user_message` (sends only) and `generation`. */
  private readonly head: GenerationEvent[] = [];
  /** The latest deltas, oldest first, then the last event once there is one. */
  private readonly tail: GenerationEvent[] = [];
  private tailChars = 0;
  /** The id of the newest delta dropped from `tail`; 0 when none was. */
  private lastDroppedId = 0;
  /**
   * Where each delta's text ends in `text`, by event id minus the head's length: what lets any dropped
   * range of deltas be sent again exactly. Four bytes a delta.
   */
  private ends = new Uint32Array(64);
  private deltas = 0;
  private nextId = 1;
  private readonly listeners = new Set<GenerationListener>();
  private readonly controller = new AbortController();
  private resolveEnded!: () => void;
  private finalEvent?: GenerationEvent;

  /** Everything the model has sent so far. */
  text = '';
  /** When the last event went out; undefined while running. */
  endedAt?: number;
  /** The stored answer, or the failure, once it has ended. */
  outcome?: { message: MessageResponseDto | null; error: Error | null };
  /** Resolves once the last event has gone out. */
  readonly ended: Promise<void> = new Promise((resolve) => (this.resolveEnded = resolve));
  /** Aborted by a cancel: the model call stops and the answer so far is stored `incomplete`. */
  readonly signal: AbortSignal = this.controller.signal;

  constructor(
    /** A random UUID, unguessable: it is only ever served to the conversation's owner anyway. */
    readonly id: string,
    readonly ownerId: string,
    readonly conversationId: string,
    readonly assistantMessageId: string,
  ) {}

  get running(): boolean {
    return this.endedAt === undefined;
  }

  /** The event every generation starts with (after the question, for a send): what a viewer needs to follow it. */
  begin(userMessage: MessageResponseDto | null, assistantMessage: MessageResponseDto): void {
    if (userMessage !== null) this.head.push(this.publish('user_message', userMessage));
    this.head.push(this.publish('generation', { id: this.id, assistantMessage }));
  }

  appendDelta(text: string): void {
    if (!this.running || text === '') return;
    this.text += text;
    if (this.deltas === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.deltas++] = this.text.length;
    const event = this.publish('delta', { text });
    this.tail.push(event);
    this.tailChars += text.length;
    while (this.tail.length > 1 && (this.tail.length > MAX_BUFFERED_DELTAS || this.tailChars > MAX_BUFFERED_CHARS)) {
      const dropped = this.tail.shift()!;
      this.tailChars -= (dropped.data as { text: string }).text.length;
      this.lastDroppedId = dropped.id;
    }
  }

  /** The last event: `assistant_message` with the stored answer, or `error`. Viewers are let go afterwards. */
  finish(message: MessageResponseDto | null, error: Error | null, errorBody: unknown): void {
    if (!this.running) return;
    this.outcome = { message, error };
    this.finalEvent = error ? this.publish('error', errorBody) : this.publish('assistant_message', message);
    this.tail.push(this.finalEvent);
    this.endedAt = Date.now();
    this.listeners.clear();
    this.resolveEnded();
  }

  cancel(): void {
    this.controller.abort();
  }

  /**
   * Hands `listener` every event after `after`, the ones already out at once (synchronously, so that none is
   * published in between), then the live ones. Deltas dropped from the buffer that the viewer has not seen are
   * replaced by one delta holding exactly their text, numbered as the last of them: the viewer's text has no
   * gap and no repetition, and its next `Last-Event-ID` still means what it says. Returns the unsubscribe.
   */
  subscribe(after: number, listener: GenerationListener): () => void {
    for (const event of this.head) if (event.id > after) listener.onEvent(event);
    if (after < this.lastDroppedId) {
      const from = this.textEndAfter(after);
      const to = this.textEndAfter(this.lastDroppedId);
      listener.onEvent({ id: this.lastDroppedId, event: 'delta', data: { text: this.text.slice(from, to) } });
    }
    for (const event of this.tail) if (event.id > after) listener.onEvent(event);
    if (!this.running) return () => undefined;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many characters of `text` the events up to `id` carried. */
  private textEndAfter(id: number): number {
    const delta = id - this.head.length;
    return delta <= 0 ? 0 : this.ends[delta - 1];
  }

  private publish(name: GenerationEventName, data: unknown): GenerationEvent {
    const event: GenerationEvent = { id: this.nextId++, event: name, data };
    for (const listener of this.listeners) listener.onEvent(event);
    return event;
  }
}
