import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisService } from '../common/redis/redis.service';
import { Generation, type GenerationEvent, type GenerationEventName, MAX_BUFFERED_DELTAS } from './generation';

/**
 * How long a running generation's keys live without a heartbeat: when the producing process dies, they expire,
 * and the answer is settled as `incomplete` by whichever process sweeps next.
 */
export const LEASE_MS = 20_000;
/** How often a process renews the leases of the generations it runs. */
export const HEARTBEAT_MS = 5_000;
/**
 * How long a running generation's record (its events, text and ends) lives without a heartbeat: beyond its lease,
 * so that the process that settles it after its producer died (see GenerationRegistry.settleAbandoned) still
 * finds it, ends it for every viewer, and keeps it readable as long as any ended generation.
 */
const RECORD_MS = 3 * LEASE_MS;
const WARN_EVERY_MS = 10_000;
/** Entries a generation's stream keeps: tailing viewers read from it; anyone further behind reads text and ends. */
const STREAM_LENGTH = 4 * MAX_BUFFERED_DELTAS;
/** How late a lease's renewal may be before its process is taken for stopped (a busy event loop, a slow Redis). */
const RENEWAL_MARGIN_MS = 2_000;
/** How long a blocked read waits before it looks again at what it follows (and whether its producers live). */
const BLOCK_MS = 5_000;

export interface RelayedGeneration {
  id: string;
  ownerId: string;
  conversationId: string;
  assistantMessageId: string;
  running: boolean;
  /** The process that runs it (see GenerationRelay.processId); null for one published without. */
  producer: string | null;
}

/** A generation whose events this process writes to Redis: one it runs, or one it ended for a stopped process. */
interface Published {
  generation: Generation;
  keys: GenerationKeys;
  keepEndedMs: number;
  /** This process, for a generation it runs; undefined for one it took over (see adopt). */
  producer?: string;
  /** What Redis holds of the text and the ends once the writes sent so far are applied, in bytes. */
  textBytes: number;
  endsBytes: number;
  /**
   * A write failed, or Redis answered with less than it should hold (it lost the keys in a restart): the next
   * write sends the whole record again instead of appending to a copy with a hole in it (see sync).
   */
  outOfStep: boolean;
  /** The final event, once the generation has ended; the record is dropped once Redis has it. */
  final?: GenerationEvent;
}

interface Tail {
  mirror: Generation;
  key: string;
  /** Viewers of the mirror in this process; the tail stops when the last one leaves. */
  viewers: number;
  /** When the producer's lease was last seen alive. */
  checkedAt: number;
}

/**
 * Generations shared between processes through Redis (REDIS_URL), so that any process serves the events of a
 * generation running on any other, and a cancel reaches it wherever it runs. Per generation `g`:
 *
 *   gen:<g>          hash: owner, conversation, answer, producer (the process's id), head (the first events,
 *                    JSON), last (the final event)
 *   gen:<g>:text     the text so far (APPEND per delta)
 *   gen:<g>:ends     where each delta ends in that text, 4 bytes each (APPEND per delta)
 *   gen:<g>:events   a stream of the latest deltas and the final event, entry id `0-<event id>`, capped
 *   conversation:<c>:generation   "<g> <answer id>" while it runs
 *   answer:<answer id>:lease      present while the producing process lives
 *   answer:<answer id>:generation <g>, for the process that settles the answer of a stopped one
 *   generation-cancels:<process>  the channel on which a process hears cancels of the generations it runs; with no
 *                                 listener the process has gone, and the canceller settles the answer itself
 *
 * The deltas of one turn of the event loop are three commands, sent in one write with everything else of that
 * moment (auto-pipelining), never a round trip of their own. Redis's text and ends are always a prefix of the
 * generation's: after a failed write (Redis down for a moment) or an append that finds less than it should (Redis
 * restarted without its data), the next write, or the next heartbeat, sends the whole record again. The lease and
 * the conversation's key of a running generation expire after LEASE_MS unless its process renews them, its record
 * after RECORD_MS; once it ends, all of it after KEEP_ENDED_MS.
 * A viewer elsewhere reads the text and ends at once (the same events as the producer would replay, with the
 * same ids) and then follows the stream, through one blocking read per process for all it follows.
 */
@Injectable()
export class GenerationRelay implements OnApplicationShutdown {
  private readonly logger = new Logger(GenerationRelay.name);
  private readonly tails = new Map<string, Tail>();
  /** Copies being read from Redis, so that viewers arriving together wait for the same one. */
  private readonly opening = new Map<string, Promise<Generation | null>>();
  /** Deltas of this turn of the event loop, not yet written to Redis (see appendDelta). */
  private readonly unsent = new Map<Published, UnsentDeltas>();
  /** The generations whose events this process writes, by id: running, or ended and not yet in Redis. */
  private readonly published = new Map<string, Published>();
  private reader?: Redis;
  private readerId?: number;
  private subscriber?: Redis;
  private reading = false;
  private closed = false;
  /** Counts the reader's reads, so that an interrupt can tell whether the read it meant to end has ended. */
  private reads = 0;
  private warnedAt = 0;
  /** This process, as the producer of the generations it publishes. */
  private readonly processId = randomUUID();

  constructor(private readonly redis: RedisService) {}

  get enabled(): boolean {
    return this.redis.enabled;
  }

  /**
   * Listens for cancels of the generations this process runs: on its own channel, and on the one every process
   * hears (where a canceller sends those published without a producer).
   */
  listen(onCancel: (generationId: string) => void): void {
    if (!this.enabled || this.subscriber) return;
    this.subscriber = this.redis.connection('cancels');
    this.subscriber.on('message', (_channel: string, generationId: string) => onCancel(generationId));
    this.subscribe();
  }

  /**
   * Not awaited: a process starts while Redis is down. ioredis subscribes again on a reconnection only to what was
   * subscribed, so a subscription that failed is tried again until it is.
   */
  private subscribe(): void {
    this.subscriber?.subscribe(this.cancelChannel(null), this.cancelChannel(this.processId)).catch((error: unknown) => {
      this.warn('cancels from other processes cannot be heard yet', error);
      if (!this.closed) setTimeout(() => this.subscribe(), 1_000).unref();
    });
  }

  /**
   * Publishes a generation this process starts, and every event it will have. Its writes are plain commands on
   * the one auto-pipelined connection, so Redis applies them in the order they were made (a MULTI would be
   * written ahead of commands still waiting for their pipeline).
   */
  publish(generation: Generation, keepEndedMs: number): void {
    const published: Published = {
      generation,
      keys: this.keysOf(generation.id),
      keepEndedMs,
      producer: this.processId,
      textBytes: 0,
      endsBytes: 0,
      outOfStep: true,
    };
    this.published.set(generation.id, published);
    this.sync(published);
    this.relayEvents(published, generation.headEvents.length);
  }

  /**
   * Takes over the end of a mirrored generation whose process has stopped: the final event this process gives
   * the mirror goes to Redis as the producer's own would have, for the viewers on every process.
   */
  adopt(mirror: Generation, keepEndedMs: number): void {
    // Ended meanwhile, by its producer or another process: its end is in Redis already.
    if (!mirror.running) return;
    const published: Published = {
      generation: mirror,
      keys: this.keysOf(mirror.id),
      keepEndedMs,
      textBytes: 0,
      endsBytes: 0,
      outOfStep: false,
    };
    this.published.set(mirror.id, published);
    this.relayEvents(published, mirror.lastEventId);
  }

  private relayEvents(published: Published, after: number): void {
    published.generation.subscribe(after, {
      onEvent: (event) => {
        if (event.event === 'delta') this.appendDelta(published, event);
        else this.finish(published, event);
      },
    });
  }

  /**
   * Renews the leases of the generations this process runs, and sends again the record of any whose writes
   * failed or whose keys Redis has lost (a restart without its data).
   */
  renew(): void {
    const now = Date.now();
    for (const published of this.published.values()) {
      // Deltas are about to be written: that write mends the record itself, and one written now would already hold
      // them and then get them appended a second time.
      if (this.unsent.has(published)) continue;
      const { generation, final, keepEndedMs } = published;
      if (final) {
        // Redis never took its end: given up with the record's lifetime.
        if (now - (generation.endedAt ?? now) > keepEndedMs) this.published.delete(generation.id);
        else if (published.outOfStep) this.sync(published);
        continue;
      }
      if (published.outOfStep) {
        this.sync(published);
        continue;
      }
      this.expire(published, true).catch(this.failedFor(published));
    }
  }

  /** A generation of any process, running or ended within KEEP_ENDED_MS; null when Redis knows none. */
  async find(generationId: string): Promise<RelayedGeneration | null> {
    const [owner, conversation, answer, last, producer] = await this.redis.client.hmget(
      this.keysOf(generationId).meta,
      'owner',
      'conversation',
      'answer',
      'last',
      'producer',
    );
    if (owner === null || conversation === null || answer === null) return null;
    return {
      id: generationId,
      ownerId: owner,
      conversationId: conversation,
      assistantMessageId: answer,
      running: last === null,
      producer,
    };
  }

  /** The generation running in each of these conversations, on any process; null where none runs. */
  async activeIn(conversationIds: string[]): Promise<({ id: string; assistantMessageId: string } | null)[]> {
    if (conversationIds.length === 0) return [];
    const values = await this.redis.client.mget(conversationIds.map((id) => this.conversationKey(id)));
    return values.map((value) => {
      if (!value) return null;
      const [id, assistantMessageId] = value.split(' ');
      return { id, assistantMessageId };
    });
  }

  /**
   * Asks the process that runs the generation to cancel it. False when that process is known and nobody hears
   * its channel: it may have stopped (Redis drops a dead process's connection, and with it the subscription), or
   * be reconnecting; see producerStopped.
   */
  async requestCancel(found: RelayedGeneration): Promise<boolean> {
    const heard = await this.redis.client.publish(this.cancelChannel(found.producer), found.id);
    return found.producer === null || heard > 0;
  }

  /**
   * Whether the generation's process has missed a heartbeat: its lease was not renewed for longer than
   * HEARTBEAT_MS and a margin. A process that lives renews it every HEARTBEAT_MS, whatever its subscriptions.
   */
  async producerStopped(found: RelayedGeneration): Promise<boolean> {
    const left = await this.redis.client.pttl(this.leaseKey(found.assistantMessageId));
    return left < LEASE_MS - HEARTBEAT_MS - RENEWAL_MARGIN_MS;
  }

  /** The generation that was producing this answer, while Redis keeps its record. */
  async generationOfAnswer(answerId: string): Promise<string | null> {
    return this.redis.client.get(this.answerKey(answerId));
  }

  /** Of these answers, the ones whose producing process still renews their lease. */
  async leased(answerIds: string[]): Promise<Set<string>> {
    if (answerIds.length === 0) return new Set();
    const values = await this.redis.client.mget(answerIds.map((id) => this.leaseKey(id)));
    return new Set(answerIds.filter((_, i) => values[i] !== null));
  }

  /**
   * This process's copy of a generation running (or ended) elsewhere, with every event so far; it follows the
   * generation's stream while it has viewers. `release` once a viewer leaves. Null when it has expired.
   */
  async mirror(found: RelayedGeneration): Promise<Generation | null> {
    // Viewers arriving together share one copy: a second copy would never be followed.
    const opening = this.opening.get(found.id) ?? this.open(found);
    this.opening.set(found.id, opening);
    try {
      const mirror = await opening;
      const tail = this.tails.get(found.id);
      if (tail?.mirror === mirror) tail.viewers++;
      return mirror;
    } finally {
      this.opening.delete(found.id);
    }
  }

  private async open(found: RelayedGeneration): Promise<Generation | null> {
    const existing = this.tails.get(found.id);
    if (existing) return existing.mirror;
    const keys = this.keysOf(found.id);
    const results = await this.redis.client
      .multi()
      .hmget(keys.meta, 'head', 'last')
      .getBuffer(keys.text)
      .getBuffer(keys.ends)
      .exec();
    const [head, last] = (results?.[0]?.[1] as (string | null)[] | undefined) ?? [null, null];
    if (!results || head === null) return null;
    const text = ((results[1][1] as Buffer | null) ?? Buffer.alloc(0)).toString('utf8');
    const ends = (results[2][1] as Buffer | null) ?? Buffer.alloc(0);
    const mirror = Generation.mirror(found, JSON.parse(head) as GenerationEvent[], deltasOf(text, ends));
    if (last !== null) {
      mirror.finishAs(JSON.parse(last) as { event: GenerationEventName; data: unknown });
      return mirror;
    }
    this.tails.set(found.id, { mirror, key: keys.events, viewers: 0, checkedAt: Date.now() });
    void this.follow();
    return mirror;
  }

  /** A viewer of a mirror has left; the tail stops with the last one. */
  release(generationId: string): void {
    const tail = this.tails.get(generationId);
    if (!tail) return;
    tail.viewers--;
    if (tail.viewers <= 0) this.tails.delete(generationId);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.tails.clear();
    await this.interruptRead();
  }

  /**
   * Deltas published in the same turn of the event loop (a provider's read often holds several) go to Redis
   * together, as one entry: three commands whatever their number.
   */
  private appendDelta(published: Published, event: GenerationEvent): void {
    let batch = this.unsent.get(published);
    if (!batch) {
      batch = { texts: [], ends: [], lastId: 0 };
      this.unsent.set(published, batch);
      if (this.unsent.size === 1) setImmediate(() => this.send());
    }
    batch.texts.push((event.data as { text: string }).text);
    batch.ends.push(published.generation.text.length);
    batch.lastId = event.id;
  }

  private send(only?: Published): void {
    const entries = only ? [[only, this.unsent.get(only)] as const] : [...this.unsent.entries()];
    const client = this.redis.client;
    for (const [published, batch] of entries) {
      if (!batch) continue;
      const text = batch.texts.join('');
      if (published.outOfStep) this.sync(published);
      else {
        const ends = Buffer.alloc(4 * batch.ends.length);
        batch.ends.forEach((end, i) => ends.writeUInt32LE(end, 4 * i));
        // Text and ends first: a viewer that reads them sees every delta the stream has (see `mirror`).
        this.append(published, published.keys.text, text, (published.textBytes += Buffer.byteLength(text)));
        this.append(published, published.keys.ends, ends, (published.endsBytes += ends.length));
      }
      const lengths = batch.texts.map((part) => part.length).join(',');
      client
        .xadd(
          published.keys.events,
          'MAXLEN',
          '~',
          STREAM_LENGTH,
          `0-${batch.lastId}`,
          'e',
          'delta',
          't',
          text,
          'l',
          lengths,
        )
        .catch(this.failedFor(published, 'a delta could not be relayed'));
    }
    if (only) this.unsent.delete(only);
    else this.unsent.clear();
  }

  /** Appends to the text or the ends, which should then hold `expected` bytes: any other length is a hole. */
  private append(published: Published, key: string, value: string | Buffer, expected: number): void {
    this.redis.client.append(key, value).then((length) => {
      if (length !== expected) published.outOfStep = true;
    }, this.failedFor(published));
  }

  private finish(published: Published, event: GenerationEvent): void {
    published.final = event;
    if (published.outOfStep) {
      // The whole record, the deltas not yet written and the end included.
      this.unsent.delete(published);
      this.sync(published);
      return;
    }
    this.send(published);
    const { generation, keys } = published;
    const client = this.redis.client;
    const failed = this.failedFor(published, 'the end of a generation could not be relayed');
    const written = Promise.all([
      client.xadd(keys.events, `0-${event.id}`, 'e', event.event, 'd', JSON.stringify(event.data)),
      client.hset(keys.meta, 'last', JSON.stringify({ event: event.event, data: event.data })),
      this.endRunning(generation),
      this.expire(published, false),
    ]);
    written.then(() => {
      if (!published.outOfStep) this.settled(published);
    }, failed);
  }

  /**
   * Writes the generation's whole record: what it has so far, its end once it has one. Idempotent, so it is what
   * mends a copy that a failed write or a Redis restart left short.
   */
  private sync(published: Published): void {
    const { generation, keys, final } = published;
    const client = this.redis.client;
    const failed = this.failedFor(published, 'a generation could not be published');
    // Every write from here on is consistent if these are applied; a failure among them sets it again.
    published.outOfStep = false;
    const ends = Buffer.alloc(4 * generation.deltaEnds.length);
    generation.deltaEnds.forEach((end, k) => ends.writeUInt32LE(end, 4 * k));
    published.textBytes = Buffer.byteLength(generation.text);
    published.endsBytes = ends.length;
    // Text and ends first, the hash (which may say it has ended) after: a process reading the record in between
    // sees a running generation as far as it had got, never an ended one without its last deltas.
    const writes: Promise<unknown>[] = [
      client.set(keys.text, generation.text),
      client.set(keys.ends, ends),
      client.hset(keys.meta, {
        owner: generation.ownerId,
        conversation: generation.conversationId,
        answer: generation.assistantMessageId,
        head: JSON.stringify(generation.headEvents),
        ...(published.producer ? { producer: published.producer } : {}),
        ...(final ? { last: JSON.stringify({ event: final.event, data: final.data }) } : {}),
      }),
      // The stream starts at the last head event, so that it exists (and so expires) from the start; a stream
      // that has it already refuses it, which is no failure.
      alreadyThere(client.xadd(keys.events, `0-${generation.headEvents.length}`, 'e', 'head')),
    ];
    if (final) {
      writes.push(
        alreadyThere(client.xadd(keys.events, `0-${final.id}`, 'e', final.event, 'd', JSON.stringify(final.data))),
        this.endRunning(generation),
      );
    }
    writes.push(this.expire(published, !final));
    Promise.all(writes).then(() => {
      if (final && !published.outOfStep) this.settled(published);
    }, failed);
  }

  /**
   * Takes down the generation's lease and its conversation's key, the latter only while it still names this
   * generation: written late (a record mended at a heartbeat), it must not take the next generation's.
   */
  private endRunning(generation: Generation): Promise<unknown> {
    const client = this.redis.client;
    return Promise.all([
      client.del(this.leaseKey(generation.assistantMessageId)),
      client.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        1,
        this.conversationKey(generation.conversationId),
        `${generation.id} ${generation.assistantMessageId}`,
      ),
    ]);
  }

  /** The end is in Redis: nothing more to write for this generation. */
  private settled(published: Published): void {
    if (this.published.get(published.generation.id) === published) this.published.delete(published.generation.id);
  }

  /**
   * Sets how long the generation's keys live: its record RECORD_MS while it runs (writing its lease and its
   * conversation's key, for LEASE_MS, and its answer's key again), all of it its keepEndedMs once it has ended.
   * A record Redis has lost is marked to be sent again.
   */
  private async expire(published: Published, running: boolean): Promise<void> {
    const { generation, keys, keepEndedMs } = published;
    const client = this.redis.client;
    const recordMs = running ? RECORD_MS : keepEndedMs;
    const answerKey = this.answerKey(generation.assistantMessageId);
    if (running) {
      // Set again, not only extended. After a Redis outage longer than a lease the lease is gone, and another
      // process's sweep would take an answer that is still running for one whose process has stopped; a late end
      // of the conversation's previous generation may have taken the conversation's key.
      const failed = this.failedFor(published);
      const active = `${generation.id} ${generation.assistantMessageId}`;
      void client.set(this.leaseKey(generation.assistantMessageId), generation.id, 'PX', LEASE_MS).catch(failed);
      void client.set(this.conversationKey(generation.conversationId), active, 'PX', LEASE_MS).catch(failed);
      void client.set(answerKey, generation.id, 'PX', recordMs).catch(failed);
    } else void client.pexpire(answerKey, recordMs).catch(() => undefined);
    const kept = await Promise.all(
      [keys.meta, keys.text, keys.ends, keys.events].map((key) => client.pexpire(key, recordMs)),
    );
    if (kept.includes(0)) published.outOfStep = true;
  }

  /** What marks a generation's copy in Redis as needing the whole record again, and says so (see warn). */
  private failedFor(published: Published, what = 'a generation could not be relayed'): (error: unknown) => void {
    return (error) => {
      published.outOfStep = true;
      this.warn(what, error);
    };
  }

  /**
   * One blocking read, for every generation this process follows: what arrives goes to their mirrors. A new
   * generation to follow interrupts the read (CLIENT UNBLOCK), so that it is followed at once.
   */
  private async follow(): Promise<void> {
    if (this.reading) {
      await this.interruptRead();
      return;
    }
    this.reading = true;
    try {
      if (!this.reader) {
        this.reader = this.redis.connection('generation-reader');
        this.readerId = Number(await this.reader.client('ID'));
      }
      while (!this.closed && this.tails.size > 0) {
        const tails = [...this.tails.entries()];
        this.reads++;
        const replies = (await this.reader.xread(
          'COUNT',
          STREAM_LENGTH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...tails.map(([, tail]) => tail.key),
          ...tails.map(([, tail]) => `0-${tail.mirror.lastEventId}`),
        )) as [string, [string, string[]][]][] | null;
        for (const [key, entries] of replies ?? []) {
          const found = tails.find(([, tail]) => tail.key === key);
          if (found) await this.apply(found[0], found[1], entries);
        }
        await this.checkProducers();
      }
    } catch (error) {
      if (!this.closed) this.warn('following generations elsewhere failed', error);
    } finally {
      this.reading = false;
    }
    if (!this.closed && this.tails.size > 0) setTimeout(() => void this.follow(), 500).unref();
  }

  private async apply(generationId: string, tail: Tail, entries: [string, string[]][]): Promise<void> {
    for (const [entryId, fields] of entries) {
      const id = Number(entryId.slice(2));
      if (id <= tail.mirror.lastEventId) continue;
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      tail.checkedAt = Date.now();
      if (field('e') === 'delta') {
        // One entry holds the deltas of one turn of the producer's event loop, numbered up to the entry's id.
        const lengths = field('l').split(',').map(Number);
        const text = field('t');
        let first = id - lengths.length + 1;
        // Entries older than the stream keeps were trimmed before this process read them: read them from the text.
        if (first > tail.mirror.lastEventId + 1) await this.catchUp(tail);
        let offset = 0;
        for (const length of lengths) {
          if (first === tail.mirror.lastEventId + 1) tail.mirror.appendDelta(text.slice(offset, offset + length));
          offset += length;
          first++;
        }
      } else {
        if (id > tail.mirror.lastEventId + 1) await this.catchUp(tail);
        tail.mirror.finishAs({ event: field('e') as GenerationEventName, data: JSON.parse(field('d')) });
        this.tails.delete(generationId);
      }
    }
  }

  private async catchUp(tail: Tail): Promise<void> {
    const keys = this.keysOf(tail.mirror.id);
    const [text, ends] = await Promise.all([
      this.redis.client.getBuffer(keys.text),
      this.redis.client.getBuffer(keys.ends),
    ]);
    const deltas = [...deltasOf((text ?? Buffer.alloc(0)).toString('utf8'), ends ?? Buffer.alloc(0))];
    const seen = tail.mirror.lastEventId - tail.mirror.headEvents.length;
    for (const delta of deltas.slice(seen)) tail.mirror.appendDelta(delta);
  }

  /**
   * A mirror that heard nothing for a while asks whether its producer still lives. When its keys have expired,
   * the process is gone: the mirror ends with the stored answer, settled by the sweep (see GenerationRegistry).
   */
  private async checkProducers(): Promise<void> {
    const now = Date.now();
    for (const [generationId, tail] of this.tails) {
      if (now - tail.checkedAt < LEASE_MS) continue;
      tail.checkedAt = now;
      const exists = await this.redis.client.exists(this.keysOf(generationId).meta);
      if (exists) continue;
      this.tails.delete(generationId);
      tail.mirror.finishAs({
        event: 'error',
        data: { statusCode: 503, code: 'GENERATION_LOST', message: 'the process generating this answer stopped' },
      });
    }
  }

  /**
   * Ends the reader's blocking read, so that it reads again with what it follows now. The unblock travels on
   * another connection and can reach Redis before the read it means to end: it is repeated until a new read starts.
   */
  private async interruptRead(): Promise<void> {
    const read = this.reads;
    for (let attempt = 0; attempt < 5 && this.reading && this.reads === read; attempt++) {
      if (this.readerId !== undefined) await this.redis.client.client('UNBLOCK', this.readerId).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1)));
    }
  }

  private keysOf(generationId: string): GenerationKeys {
    const meta = this.redis.key('gen', generationId);
    return { meta, text: `${meta}:text`, ends: `${meta}:ends`, events: `${meta}:events` };
  }

  private conversationKey(conversationId: string): string {
    return this.redis.key('conversation', conversationId, 'generation');
  }

  private cancelChannel(processId: string | null): string {
    return processId === null ? this.redis.key('generation-cancels') : this.redis.key('generation-cancels', processId);
  }

  private leaseKey(answerId: string): string {
    return this.redis.key('answer', answerId, 'lease');
  }

  private answerKey(answerId: string): string {
    return this.redis.key('answer', answerId, 'generation');
  }

  /** At most one line every WARN_EVERY_MS: while Redis is down every write of every generation fails. */
  private warn(what: string, error: unknown): void {
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.logger.warn(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface UnsentDeltas {
  texts: string[];
  /** Where each ends in the whole text. */
  ends: number[];
  lastId: number;
}

interface GenerationKeys {
  meta: string;
  text: string;
  ends: string;
  events: string;
}

/** The deltas of a generation, from its text and where each delta ends in it. */
function* deltasOf(text: string, ends: Buffer): Generator<string> {
  let start = 0;
  for (let offset = 0; offset + 4 <= ends.length; offset += 4) {
    const end = ends.readUInt32LE(offset);
    yield text.slice(start, end);
    start = end;
  }
}

/** A write that Redis refuses because the stream already holds that entry: a copy sent again, not a failure. */
function alreadyThere<T>(write: Promise<T>): Promise<T | null> {
  return write.catch((error: unknown) => {
    if (error instanceof Error && /equal or smaller than the target stream top item/.test(error.message)) return null;
    throw error;
  });
}
