import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AiProvider, ChatRequest } from '../ai/ai-provider';
import { ModelCallRunner, type ModelCallOutcome } from '../ai/model-call-runner.service';
import type { AuthUser } from '../common/auth-user';
import { AppError } from '../common/errors/app.error';
import { ERROR_STATUS } from '../common/errors/error-codes';
import { MetricsService } from '../common/metrics/metrics.service';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { GenerationEndedError, GenerationNotFoundError } from './conversations.errors';
import { MessageResponseDto } from './dto/message-response.dto';
import type { MessageStatus } from './entities/message.entity';
import { Generation } from './generation';
import { GenerationRelay, HEARTBEAT_MS, LEASE_MS, type RelayedGeneration } from './generation-relay.service';
import { type FinalAnswer, MessagesRepository, PlacedMessage } from './messages.repository';

/** How often, at most, the text of the answers being generated is written to their messages. */
const SAVE_EVERY_MS = 1_000;
/** How long an ended generation's events can still be read: a client that reconnects late gets the end. */
export const KEEP_ENDED_MS = 5 * 60_000;

export interface GenerationStart {
  ownerId: string;
  conversationId: string;
  /** The question stored by a send, sent first as `user_message`; null for a regeneration. */
  userMessage: PlacedMessage | null;
  /** The answer as created, `streaming` and empty. */
  assistantMessage: PlacedMessage;
  provider: AiProvider;
  request: Omit<ChatRequest, 'signal'>;
  /**
   * Told what the call used once it has ended, before its viewers are told (its quota reservation is settled): in
   * the transaction that stores the answer, or, when that failed, without one (`manager` undefined) once the
   * answer is stored alone.
   */
  settleQuota?: (
    manager: EntityManager | undefined,
    used: { usage: ModelCallOutcome['usage']; text: string },
  ) => Promise<void>;
}

export interface ActiveGeneration {
  id: string;
  assistantMessageId: string;
}

/** A generation to follow, from this process or a copy of one elsewhere; `release` once done with it. */
export interface FollowedGeneration {
  generation: Generation;
  release: () => void;
}

/** How long a cancel of a generation running elsewhere waits for its end before it answers anyway. */
const REMOTE_CANCEL_WAIT_MS = 10_000;

/** A final write the database refused is tried again after this long, twice as long each time up to the most. */
const STORE_RETRY_FIRST_MS = 1_000;
const STORE_RETRY_MOST_MS = 30_000;

/**
 * The generations of this process, running and recently ended, independent of any request: a request
 * subscribes to one like any other viewer, and leaving unsubscribes. Each answer's text is saved to its
 * message about once a second while it arrives (one transaction for every answer being generated), and the
 * final write happens whatever ends it: the model, a cancel, a failure or the shutdown.
 *
 * With REDIS_URL, every generation is also published through the GenerationRelay: the other processes serve
 * its events and send it their cancels, and its lease, renewed every HEARTBEAT_MS, tells them it still runs.
 */
@Injectable()
export class GenerationRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GenerationRegistry.name);
  private readonly generations = new Map<string, Generation>();
  /** The running generation of each conversation. */
  private readonly running = new Map<string, Generation>();
  /** Generations whose text changed since it was last saved. */
  private readonly unsaved = new Set<Generation>();
  private saveTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private sweeping = false;
  private readonly expiries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly runner: ModelCallRunner,
    private readonly messages: MessagesRepository,
    private readonly transactions: TransactionRunner,
    private readonly shutdown: ShutdownService,
    private readonly relay: GenerationRelay,
    metrics: MetricsService,
  ) {
    metrics.trackActiveGenerations(() => this.running.size);
  }

  onApplicationBootstrap(): void {
    if (!this.relay.enabled) return;
    this.relay.listen((generationId) => this.generations.get(generationId)?.cancel());
    // Also while this process runs nothing: it settles what a process that died left behind.
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Answers left `streaming` by a process that no longer runs become `incomplete`. Alone (no REDIS_URL), a
   * starting process knows that every such answer is another's, gone. Sharing the database, only answers whose
   * lease has lapsed are, and only once they are older than a lease: a process renews nothing until the
   * answer it has just stored is published.
   */
  async settleAbandoned(): Promise<number> {
    if (!this.relay.enabled) return this.transactions.run((manager) => this.messages.settleStreaming(manager));
    const candidates = await this.messages.findStreamingIds(new Date(Date.now() - LEASE_MS));
    const alive = await this.relay.leased(candidates);
    const runningHere = new Set([...this.running.values()].map((generation) => generation.assistantMessageId));
    const orphans = candidates.filter((id) => !alive.has(id) && !runningHere.has(id));
    if (orphans.length === 0) return 0;
    let settled = 0;
    const unrecorded: string[] = [];
    for (const answerId of orphans) {
      // Redis still has its record: it is ended as a cancel from here would end it, for every viewer, and its
      // events stay readable.
      try {
        if (await this.settleFromRecord(answerId)) settled++;
      } catch (error) {
        if (error instanceof GenerationNotFoundError) unrecorded.push(answerId);
        // Another process settled it first.
        else if (!(error instanceof GenerationEndedError)) throw error;
      }
    }
    if (unrecorded.length === 0) return settled;
    return settled + (await this.transactions.run((manager) => this.messages.settleStreaming(manager, unrecorded)));
  }

  /** Ends an orphan answer through its generation's record in Redis; GenerationNotFoundError when there is none. */
  private async settleFromRecord(answerId: string): Promise<boolean> {
    const generationId = await this.relay.generationOfAnswer(answerId);
    const found = generationId ? await this.relay.find(generationId) : null;
    if (!found?.running) throw new GenerationNotFoundError();
    const { generation, release } = await this.mirror(found);
    try {
      await this.settleLost(generation);
      return true;
    } finally {
      release();
    }
  }

  /** Starts the model call and returns at once; the generation's first events are already published. */
  start(input: GenerationStart): Generation {
    const generation = new Generation(randomUUID(), input.ownerId, input.conversationId, input.assistantMessage.id);
    generation.begin(
      input.userMessage ? MessageResponseDto.from(input.userMessage) : null,
      MessageResponseDto.from(input.assistantMessage),
    );
    this.generations.set(generation.id, generation);
    this.running.set(input.conversationId, generation);
    this.shutdown.track(generation.ended);
    if (this.relay.enabled) this.relay.publish(generation, KEEP_ENDED_MS);
    void this.run(generation, input);
    return generation;
  }

  /**
   * The caller's generation in that conversation, running or ended within KEEP_ENDED_MS, whichever process
   * runs it (with REDIS_URL).
   */
  async follow(principal: AuthUser, conversationId: string, generationId: string): Promise<FollowedGeneration> {
    const local = this.findHere(principal, conversationId, generationId);
    if (local) return { generation: local, release: () => undefined };
    return this.mirror(await this.findElsewhere(principal, conversationId, generationId));
  }

  /**
   * Stops a running generation and resolves once its answer is stored `incomplete` and its viewers told; for
   * one running in another process, once that process has ended it (or after REMOTE_CANCEL_WAIT_MS).
   */
  async cancel(principal: AuthUser, conversationId: string, generationId: string): Promise<void> {
    const local = this.findHere(principal, conversationId, generationId);
    if (local) {
      if (!local.running) throw new GenerationEndedError();
      local.cancel();
      await local.ended;
      // It ended by itself (its answer was being stored when the cancel came): nothing was stopped. Without a stored
      // message (the database refused it, and it is stored later) the cancel is taken as done.
      const stored = local.outcome?.message;
      if (stored && stored.status !== 'incomplete') throw new GenerationEndedError();
      return;
    }
    const found = await this.findElsewhere(principal, conversationId, generationId);
    if (!found.running) throw new GenerationEndedError();
    const { generation, release } = await this.mirror(found);
    try {
      // Nobody heard it, and the lease has missed a renewal: the process has stopped.
      const heard = await this.relay.requestCancel(found);
      if (!heard && (await this.relay.producerStopped(found))) {
        await this.settleLost(generation, 'cancelled');
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        generation.ended,
        new Promise((resolve) => (timer = setTimeout(resolve, REMOTE_CANCEL_WAIT_MS))),
      ]);
      clearTimeout(timer);
      // It died just before the cancel: its lease shows it by now.
      if (generation.running && !heard && (await this.relay.producerStopped(found))) {
        await this.settleLost(generation, 'cancelled');
        return;
      }
      // It ended by itself before the cancel reached it: nothing was stopped, as for a local one that had ended.
      const stored = generation.outcome?.message;
      if (!generation.running && stored?.status !== 'incomplete') throw new GenerationEndedError();
    } finally {
      release();
    }
  }

  /**
   * Ends a generation whose process has stopped, as that process would have on a cancel: its answer stored
   * `incomplete` with the text its viewers were shown, and every viewer, on any process, given that answer.
   */
  private async settleLost(mirror: Generation, cancelled?: 'cancelled'): Promise<void> {
    if (!mirror.running) throw new GenerationEndedError();
    const settled = await this.transactions.run((manager) =>
      this.messages.settleStreamingAs(manager, mirror.assistantMessageId, mirror.text),
    );
    // Settled meanwhile (by the sweep once its lease lapsed, or by another cancel): it had ended already.
    if (!settled) throw new GenerationEndedError();
    const stored = await this.messages.findPlacedAnswer(mirror.conversationId, mirror.assistantMessageId);
    this.relay.adopt(mirror, KEEP_ENDED_MS);
    mirror.finish(stored ? MessageResponseDto.from(stored) : null, null, null);
    // The sweep reports how many it settled.
    if (cancelled) this.logger.warn(`an answer of a process that stopped was cancelled and stored incomplete`);
  }

  /** The caller's generation of that conversation in this process; another user's is not found either. */
  private findHere(principal: AuthUser, conversationId: string, generationId: string): Generation | undefined {
    const local = this.generations.get(generationId);
    if (local && !owns(principal, conversationId, local)) throw new GenerationNotFoundError();
    return local;
  }

  /** The caller's generation of that conversation in another process, as Redis knows it. */
  private async findElsewhere(
    principal: AuthUser,
    conversationId: string,
    generationId: string,
  ): Promise<RelayedGeneration> {
    const found = this.relay.enabled ? await this.relay.find(generationId) : null;
    if (!found || !owns(principal, conversationId, found)) throw new GenerationNotFoundError();
    return found;
  }

  private async mirror(found: RelayedGeneration): Promise<FollowedGeneration> {
    const mirror = await this.relay.mirror(found);
    if (!mirror) throw new GenerationNotFoundError();
    return { generation: mirror, release: () => this.relay.release(found.id) };
  }

  /** The generation running in each of these conversations, on any process; null where none runs. */
  async activeIn(conversationIds: string[]): Promise<(ActiveGeneration | null)[]> {
    const active = conversationIds.map((id) => {
      const generation = this.running.get(id);
      return generation ? { id: generation.id, assistantMessageId: generation.assistantMessageId } : null;
    });
    if (!this.relay.enabled) return active;
    const elsewhere = await this.relay.activeIn(conversationIds.filter((_, i) => active[i] === null));
    return active.map((found) => found ?? elsewhere.shift() ?? null);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.saveTimer);
    clearInterval(this.heartbeat);
    for (const timer of this.expiries) clearTimeout(timer);
  }

  /** Renews this process's leases, and settles the answers of processes that stopped renewing theirs. */
  private async beat(): Promise<void> {
    this.relay.renew();
    // A sweep of many orphans can outlast a heartbeat; the next one starts when it is done.
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const settled = await this.settleAbandoned();
      if (settled > 0) this.logger.warn(`${settled} answer(s) of a process that stopped marked incomplete`);
    } catch (error) {
      this.logger.warn(`abandoned answers could not be settled: ${error instanceof Error ? error.message : error}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async run(generation: Generation, input: GenerationStart): Promise<void> {
    let outcome: ModelCallOutcome | undefined;
    let final: FinalAnswer | undefined;
    let settle: ((manager: EntityManager | undefined) => Promise<void>) | undefined;
    try {
      for await (const event of this.runner.run(input.provider, { ...input.request, signal: generation.signal })) {
        if (event.type === 'delta') {
          generation.appendDelta(event.text);
          this.markUnsaved(generation);
        } else if (event.type === 'end') outcome = event.outcome;
      }
      const { status, text, usage, error, servedBy } = outcome!;
      final = {
        content: text,
        servedBy,
        status: answerStatus[status],
        error: error?.message ?? null,
        promptTokens: usage?.promptTokens ?? null,
        completionTokens: usage?.completionTokens ?? null,
      };
      settle = input.settleQuota && ((manager) => input.settleQuota!(manager, { usage, text }));
      const stored = await this.storeAnswer(input.assistantMessage, final, settle);
      generation.finish(MessageResponseDto.from(stored), error, error ? errorEvent(error) : null);
    } catch (failure) {
      // Only the database can fail here.
      this.logger.error(`an answer could not be stored: ${failure instanceof Error ? failure.message : failure}`);
      const error = new Error('the answer could not be stored');
      generation.finish(null, error, { statusCode: 500, code: 'INTERNAL_ERROR', message: error.message });
      if (final) this.shutdown.track(this.storeWhenPossible(input.assistantMessage, final, settle));
    } finally {
      this.unsaved.delete(generation);
      if (this.running.get(generation.conversationId) === generation) this.running.delete(generation.conversationId);
      const expiry = setTimeout(() => {
        this.expiries.delete(expiry);
        this.generations.delete(generation.id);
      }, KEEP_ENDED_MS);
      expiry.unref();
      this.expiries.add(expiry);
    }
  }

  private markUnsaved(generation: Generation): void {
    this.unsaved.add(generation);
    this.saveTimer ??= setTimeout(() => void this.saveText(), SAVE_EVERY_MS);
  }

  /**
   * One transaction for the text of every answer that changed: on SQLite's one connection, a write per answer
   * per second would queue behind each other as soon as a few hundred answers run at once.
   */
  private async saveText(): Promise<void> {
    const saving = [...this.unsaved];
    const answers = saving.map((generation) => ({ id: generation.assistantMessageId, content: generation.text }));
    this.unsaved.clear();
    try {
      const gone = new Set(await this.transactions.run((manager) => this.messages.saveStreamingText(manager, answers)));
      // Its conversation (or account) was deleted: the model would go on answering into nothing, at a cost.
      for (const generation of saving) if (gone.has(generation.assistantMessageId)) generation.cancel();
    } catch (error) {
      // The next save, or the final write, carries the text anyway.
      this.logger.warn(`the text so far of ${answers.length} answer(s) could not be saved: ${String(error)}`);
    } finally {
      this.saveTimer = undefined;
      if (this.unsaved.size > 0) this.saveTimer = setTimeout(() => void this.saveText(), SAVE_EVERY_MS);
    }
  }

  /**
   * Stores an answer whose final write the database refused, trying again until it is taken: left `streaming`, the
   * answer would keep its conversation refusing new messages until the next start, which settles it. Only while it
   * is still `streaming` (the sweep of another process may have settled it `incomplete` meanwhile, and its owner
   * edited it since), with its quota settlement in the same transaction, so that both happen once. Counted as
   * running work by the shutdown, whose grace period ends the tries.
   */
  private async storeWhenPossible(
    answer: PlacedMessage,
    final: FinalAnswer,
    settle?: (manager: EntityManager | undefined) => Promise<void>,
  ): Promise<void> {
    const { signal } = this.shutdown;
    const which = `answer ${answer.id} of conversation ${answer.conversationId}`;
    for (let waitMs = STORE_RETRY_FIRST_MS; ; waitMs = Math.min(waitMs * 2, STORE_RETRY_MOST_MS)) {
      if (!(await sleep(waitMs, true, { signal }).catch(() => false))) {
        this.logger.error(`${which} could not be stored before the shutdown; the next start settles it`);
        return;
      }
      try {
        const stored = await this.transactions.run(async (manager) => {
          if (!(await this.messages.finishStreaming(manager, answer.id, final))) return false;
          await settle?.(manager);
          return true;
        });
        this.logger.warn(
          stored
            ? `${which}, which could not be stored when it ended, has been stored since`
            : `${which} was settled or removed meanwhile; it is left as it is`,
        );
        return;
      } catch (error) {
        this.logger.warn(`${which} still cannot be stored: ${error instanceof Error ? error.message : error}`);
      }
    }
  }

  /**
   * The answer's final write, with what has to be stored with it (`alongWith`, given the transaction). Should that
   * transaction fail, the answer is stored alone first, as it matters more, and `alongWith` runs after it on its
   * own (without a transaction).
   */
  private async storeAnswer(
    placeholder: PlacedMessage,
    outcome: FinalAnswer,
    alongWith?: (manager: EntityManager | undefined) => Promise<void>,
  ): Promise<PlacedMessage> {
    const write = (manager: EntityManager) => this.messages.storeFinal(manager, placeholder.id, outcome);
    try {
      await this.transactions.run(async (manager) => {
        await write(manager);
        await alongWith?.(manager);
      });
    } catch (error) {
      if (!alongWith) throw error;
      this.logger.warn(
        `an answer and its quota settlement could not be stored together, trying apart: ${error instanceof Error ? error.message : error}`,
      );
      await this.transactions.run(write);
      await alongWith(undefined);
    }
    const stored = await this.messages.findPlacedAnswer(placeholder.conversationId, placeholder.id);
    // Gone only when its conversation was deleted meanwhile: the viewers still get what was generated.
    return stored ?? { ...placeholder, ...outcome };
  }
}

function owns(principal: AuthUser, conversationId: string, generation: { ownerId: string; conversationId: string }) {
  return generation.ownerId === principal.id && generation.conversationId === conversationId;
}

const answerStatus: Record<ModelCallOutcome['status'], MessageStatus> = {
  complete: 'complete',
  cancelled: 'incomplete',
  error: 'error',
};

/** The data of an `error` event: `{ statusCode, code, message }`. */
function errorEvent(error: AppError): { statusCode: number; code: string; message: string } {
  return { statusCode: ERROR_STATUS[error.code], code: error.code, message: error.message };
}
