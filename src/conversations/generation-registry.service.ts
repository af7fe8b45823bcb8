import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AiProvider, ChatRequest } from '../ai/ai-provider';
import { ModelCallRunner, type ModelCallOutcome } from '../ai/model-call-runner.service';
import type { AuthUser } from '../common/auth-user';
import { AppError } from '../common/errors/app.error';
import { ERROR_STATUS } from '../common/errors/error-codes';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { TransactionRunner } from '../database/transaction-runner';
import { GenerationEndedError, GenerationNotFoundError } from './conversations.errors';
import { MessageResponseDto } from './dto/message-response.dto';
import type { Message, MessageStatus } from './entities/message.entity';
import { Generation } from './generation';
import { MessagesRepository, PlacedMessage } from './messages.repository';

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
}

export interface ActiveGeneration {
  id: string;
  assistantMessageId: string;
}

/**
 * The generations of this process, running and recently ended, independent of any request: a request
 * subscribes to one like any other viewer, and leaving unsubscribes. Each answer's text is saved to its
 * message about once a second while it arrives (one transaction for every answer being generated), and the
 * final write happens whatever ends it: the model, a cancel, a failure or the shutdown.
 */
@Injectable()
export class GenerationRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(GenerationRegistry.name);
  private readonly generations = new Map<string, Generation>();
  /** The running generation of each conversation. */
  private readonly running = new Map<string, Generation>();
  /** Generations whose text changed since it was last saved. */
  private readonly unsaved = new Set<Generation>();
  private saveTimer?: NodeJS.Timeout;
  private readonly expiries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly runner: ModelCallRunner,
    private readonly messages: MessagesRepository,
    private readonly transactions: TransactionRunner,
    private readonly shutdown: ShutdownService,
  ) {}

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
    void this.run(generation, input);
    return generation;
  }

  /** The caller's generation in that conversation, running or ended within KEEP_ENDED_MS. */
  find(principal: AuthUser, conversationId: string, generationId: string): Generation {
    const generation = this.generations.get(generationId);
    if (!generation || generation.ownerId !== principal.id || generation.conversationId !== conversationId) {
      throw new GenerationNotFoundError();
    }
    return generation;
  }

  /** Stops a running generation and resolves once its answer is stored `incomplete` and its viewers told. */
  async cancel(principal: AuthUser, conversationId: string, generationId: string): Promise<void> {
    const generation = this.find(principal, conversationId, generationId);
    if (!generation.running) throw new GenerationEndedError();
    generation.cancel();
    await generation.ended;
  }

  activeIn(conversationId: string): ActiveGeneration | null {
    const generation = this.running.get(conversationId);
    return generation ? { id: generation.id, assistantMessageId: generation.assistantMessageId } : null;
  }

  onApplicationShutdown(): void {
    clearTimeout(this.saveTimer);
    for (const timer of this.expiries) clearTimeout(timer);
  }

  private async run(generation: Generation, input: GenerationStart): Promise<void> {
    let outcome: ModelCallOutcome | undefined;
    try {
      for await (const event of this.runner.run(input.provider, { ...input.request, signal: generation.signal })) {
        if (event.type === 'delta') {
          generation.appendDelta(event.text);
          this.markUnsaved(generation);
        } else outcome = event.outcome;
      }
      const { status, text, usage, error } = outcome!;
      const stored = await this.storeAnswer(input.assistantMessage, {
        content: text,
        status: answerStatus[status],
        error: error?.message ?? null,
        promptTokens: usage?.promptTokens ?? null,
        completionTokens: usage?.completionTokens ?? null,
      });
      generation.finish(MessageResponseDto.from(stored), error, error ? errorEvent(error) : null);
    } catch (failure) {
      // Only the database can fail here; the message stays `streaming` and is settled at the next start.
      this.logger.error(`an answer could not be stored: ${failure instanceof Error ? failure.message : failure}`);
      const error = new Error('the answer could not be stored');
      generation.finish(null, error, { statusCode: 500, code: 'INTERNAL_ERROR', message: error.message });
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
    const answers = [...this.unsaved].map((generation) => ({
      id: generation.assistantMessageId,
      content: generation.text,
    }));
    this.unsaved.clear();
    try {
      await this.transactions.run((manager) => this.messages.saveStreamingText(manager, answers));
    } catch (error) {
      // The next save, or the final write, carries the text anyway.
      this.logger.warn(`the text so far of ${answers.length} answer(s) could not be saved: ${String(error)}`);
    } finally {
      this.saveTimer = undefined;
      if (this.unsaved.size > 0) this.saveTimer = setTimeout(() => void this.saveText(), SAVE_EVERY_MS);
    }
  }

  private async storeAnswer(
    placeholder: PlacedMessage,
    outcome: Pick<Message, 'content' | 'status' | 'error' | 'promptTokens' | 'completionTokens'>,
  ): Promise<PlacedMessage> {
    await this.transactions.run((manager) => this.messages.update(manager, placeholder.id, outcome));
    const [stored] = await this.messages.findPlaced(placeholder.conversationId, [placeholder.id]);
    // Gone only when its conversation was deleted meanwhile: the viewers still get what was generated.
    return stored ?? { ...placeholder, ...outcome };
  }
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
