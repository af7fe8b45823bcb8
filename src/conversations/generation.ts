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
 * The latest deltas a viewer gets one by one, whichever limit is reached first; older ones come joined into one
 * delta (see `subscribe`), so that a reload mid-answer is a few events, not thousands.
 */
export const MAX_BUFFERED_DELTAS = 128;
export const MAX_BUFFERED_CHARS = 4_096;

/**
 * The production of one answer, whoever watches it: its numbered events, the text so far, and its viewers.
 * A viewer that leaves only unsubscribes; the generation runs on until it ends (see GenerationRegistry).
 */
export class Generation {
  /** `user_message` (sends only) and `generation`. */
  private readonly head: GenerationEvent[] = [];
  /**
   * Where each delta's text ends in `text`, by event id minus the head's length. The deltas themselves are not
   * kept: any of them, or any run of them, is a slice of `text`. Four bytes a delta beside the text, which is
   * kept anyway to be saved.
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

  /** The id of the latest event published. */
  get lastEventId(): number {
    return this.nextId - 1;
  }

  /**
   * A copy of a generation that runs in another process, as far as it has got (see GenerationRelay): the same
   * events with the same ids, which this process's viewers then follow as they would a local one.
   */
  static mirror(
    info: { id: string; ownerId: string; conversationId: string; assistantMessageId: string },
    head: GenerationEvent[],
    deltas: Iterable<string>,
  ): Generation {
    const mirror = new Generation(info.id, info.ownerId, info.conversationId, info.assistantMessageId);
    for (const event of head) mirror.head.push(mirror.publish(event.event, event.data));
    for (const text of deltas) mirror.appendDelta(text);
    return mirror;
  }

  /** Where each delta so far ends in `text`. */
  get deltaEnds(): Uint32Array {
    return this.ends.subarray(0, this.deltas);
  }

  /** The events a viewer needs first: `user_message` (sends only) and `generation`. */
  get headEvents(): readonly GenerationEvent[] {
    return this.head;
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
    this.publish('delta', { text });
  }

  /** The last event: `assistant_message` with the stored answer, or `error`. Viewers are let go afterwards. */
  finish(message: MessageResponseDto | null, error: Error | null, errorBody: unknown): void {
    if (!this.running) return;
    this.outcome = { message, error };
    this.finalEvent = error ? this.publish('error', errorBody) : this.publish('assistant_message', message);
    this.endedAt = Date.now();
    this.listeners.clear();
    this.resolveEnded();
  }

  /** Ends a mirror with the last event of the generation it copies. */
  finishAs(last: { event: GenerationEventName; data: unknown }): void {
    if (last.event === 'error') {
      const { message } = last.data as { message?: string };
      this.finish(null, new Error(message ?? 'the answer failed'), last.data);
    } else this.finish(last.data as MessageResponseDto, null, null);
  }

  cancel(): void {
    this.controller.abort();
  }

  /**
   * Hands `listener` every event after `after`, the ones already out at once (synchronously, so that none is
   * published in between), then the live ones. Of the deltas the viewer has not seen, those older than the
   * latest MAX_BUFFERED_DELTAS (or MAX_BUFFERED_CHARS of text) come first as one delta holding exactly their
   * text, numbered as the last of them: the viewer's text has no gap and no repetition, and its next
   * `Last-Event-ID` still means what it says. Returns the unsubscribe.
   */
  subscribe(after: number, listener: GenerationListener): () => void {
    for (const event of this.head) if (event.id > after) listener.onEvent(event);
    const first = this.head.length + 1;
    const last = this.head.length + this.deltas;
    let from = Math.max(after + 1, first);
    const joinedUpTo = Math.min(this.lastJoinedId(), last);
    if (from <= joinedUpTo) {
      listener.onEvent(this.deltaRange(from, joinedUpTo));
      from = joinedUpTo + 1;
    }
    for (let id = from; id <= last; id++) listener.onEvent(this.deltaRange(id, id));
    if (this.finalEvent && this.finalEvent.id > after) listener.onEvent(this.finalEvent);
    if (!this.running) return () => undefined;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest delta sent joined with the ones before it (older than the latest ones); 0 when none is. */
  private lastJoinedId(): number {
    const total = this.text.length;
    // The oldest delta sent on its own: within the last MAX_BUFFERED_DELTAS and MAX_BUFFERED_CHARS.
    let kept = Math.max(0, this.deltas - MAX_BUFFERED_DELTAS);
    while (kept < this.deltas - 1 && total - (kept === 0 ? 0 : this.ends[kept - 1]) > MAX_BUFFERED_CHARS) kept++;
    return kept === 0 ? 0 : this.head.length + kept;
  }

  /** The deltas `from` to `to` (event ids) as one delta event, numbered as the last. */
  private deltaRange(from: number, to: number): GenerationEvent {
    const start = from - this.head.length - 1;
    const end = to - this.head.length - 1;
    const text = this.text.slice(start === 0 ? 0 : this.ends[start - 1], this.ends[end]);
    return { id: to, event: 'delta', data: { text } };
  }

  private publish(name: GenerationEventName, data: unknown): GenerationEvent {
    const event: GenerationEvent = { id: this.nextId++, event: name, data };
    for (const listener of this.listeners) listener.onEvent(event);
    return event;
  }
}
