import { Injectable, Logger } from '@nestjs/common';
import type { AiProvider } from '../ai/ai-provider';
import { ModelRegistry } from '../ai/model-registry.service';
import type { AuthUser } from '../common/auth-user';
import { isRedisUnavailable } from '../common/redis/redis.service';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { estimateTokens, QuotasService, type QuotaReservation } from '../quotas/quotas.service';
import { ConversationsRepository } from './conversations.repository';
import {
  ConversationNotFoundError,
  GenerationInProgressError,
  MessageNotFoundError,
  NotAQuestionError,
} from './conversations.errors';
import type { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import type { Generation } from './generation';
import { GenerationRegistry } from './generation-registry.service';
import { AttachedMessage, MessagesRepository, NewMessage, PlacedMessage } from './messages.repository';
import { HistoryBudget } from './prompt';
import { PromptAssembler } from './prompt-assembler.service';
import { SendRepository, type StoredSend } from './send.repository';

export interface AnswerOptions {
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

export interface SendMessageInput extends AnswerOptions {
  content: string;
  /** An answer of this conversation, or null for a new first message; absent: under the current leaf. */
  parentId?: string | null;
  /** The caller's `ready` files to attach, in order. */
  fileIds?: string[];
}

export interface Exchange {
  /** The question: stored by this send, or the one a regeneration answers again. */
  userMessage: PlacedMessage;
  /** False for a regeneration, whose question is not new. */
  userMessageIsNew: boolean;
  /** The answer as created, `streaming` and empty. */
  assistantMessage: PlacedMessage;
  /** Runs on its own from here; the request that started it is one viewer among others. */
  generation: Generation;
}

interface TargetModel {
  /** `<provider>/<model>`, as stored on the messages. */
  modelId: string;
  provider: AiProvider;
  /** The name the provider knows it by. */
  model: string;
  /** The conversation's, counted in the estimate a quota reserves. */
  systemPrompt: string | null;
}

/**
 * How many messages up the path are considered when the prompt is built; of those, only the newest that fit
 * the model's budget are read.
 */
const HISTORY_WINDOW = 200;

/** Sends and regenerations: both store their messages first, then start the generation of the answer. */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly models: ModelRegistry,
    private readonly transactions: TransactionRunner,
    private readonly generations: GenerationRegistry,
    private readonly sends: SendRepository,
    private readonly prompts: PromptAssembler,
    private readonly quotas: QuotasService,
  ) {}

  /**
   * Stores the user's message and the answer to come (`streaming`, so its id is known before anything streams
   * and the conversation shows a generation running) in one transaction, then starts the generation, which runs
   * on whatever happens to the request. No transaction is held while the model answers. The history the prompt
   * is built from is read while the transaction writes, so that the model is called as soon as it has committed.
   * A send that would pass the caller's quota is refused (QUOTA_EXCEEDED) before anything is stored; its quota is
   * reserved in the same transaction as its messages.
   */
  async send(principal: AuthUser, conversationId: string, input: SendMessageInput): Promise<Exchange> {
    const target = await this.targetModel(principal, conversationId, input);
    const reservation = await this.plan(principal, target, input.content, input);
    const budgetTokens = this.models.contextBudgetTokens(target.modelId);
    let history: Promise<AttachedMessage[]> | undefined;
    // Keyed by the person, not the conversation: their sends run one after another within a group (those of a
    // conversation too, as only its owner may send in it), so that one send's quota statements never interleave
    // with another's on the person's counters.
    const stored = await this.transactions.runGrouped(principal.id, (manager) =>
      this.sends.store(
        manager,
        {
          ownerId: principal.id,
          conversationId,
          parentId: input.parentId,
          content: input.content,
          model: target.modelId,
          fileIds: input.fileIds ?? [],
        },
        async (conversation, parentId) => {
          await this.quotas.reserveWithin(manager, reservation);
          history = this.historyAbove(conversation, parentId, input.content, budgetTokens);
          // Read again if the transaction has to be run again; awaited only once it has committed.
          history.catch(() => undefined);
        },
      ),
    );
    return this.releasedOnFailure(reservation, stored.answer, () =>
      this.startSent(principal, input, target, budgetTokens, reservation, stored, history!),
    );
  }

  private async startSent(
    principal: AuthUser,
    input: SendMessageInput,
    target: TargetModel,
    budgetTokens: number,
    reservation: QuotaReservation | null,
    stored: StoredSend,
    history: Promise<AttachedMessage[]>,
  ): Promise<Exchange> {
    const { conversation, question, answer } = stored;
    const prompt = await this.prompts.assemble(
      conversation.systemPrompt,
      [...(await history), question],
      budgetTokens,
      target.provider.features,
    );
    const generation = this.generations.start({
      ownerId: principal.id,
      conversationId: conversation.id,
      userMessage: question,
      assistantMessage: answer,
      provider: target.provider,
      request: {
        model: target.model,
        messages: prompt,
        temperature: input.temperature,
        maxTokens: input.maxTokens,
      },
      settleQuota: (manager, used) => this.quotas.settle(reservation, used, manager),
    });
    return { userMessage: question, userMessageIsNew: true, assistantMessage: answer, generation };
  }

  /**
   * A new answer beside the earlier ones to the user message `messageId`, or to the question of the answer
   * `messageId`.
   */
  async regenerate(
    principal: AuthUser,
    conversationId: string,
    messageId: string,
    input: AnswerOptions,
  ): Promise<Exchange> {
    const target = await this.targetModel(principal, conversationId, input);
    const reservation = await this.plan(principal, target, '', input);
    const { conversation, question, answer } = await this.transactions.runOrRefuse(async (manager) => {
      const current = await this.lock(manager, principal, conversationId);
      const question = await this.questionOf(manager, conversationId, messageId);
      await this.refuseWhileGenerating(manager, conversationId);
      await this.quotas.reserveWithin(manager, reservation);
      const answer = await this.startAnswer(manager, current, question, target.modelId, {});
      return { conversation: current, question, answer };
    });
    return this.releasedOnFailure(reservation, answer, () =>
      this.exchange(principal, conversation, question, answer, false, target, input, reservation),
    );
  }

  /**
   * The call's estimate on the caller's quotas, to take in the transaction that stores its messages: the system
   * prompt, the new text and the most the answer may take. The history above is not known yet; the usage the
   * provider reports, which settles it, includes it.
   */
  private plan(
    principal: AuthUser,
    target: TargetModel,
    text: string,
    options: AnswerOptions,
  ): Promise<QuotaReservation | null> {
    return this.quotas.plan(principal, target.modelId, {
      promptTokens: estimateTokens(`${target.systemPrompt ?? ''}${text}`),
      maxTokens: options.maxTokens,
    });
  }

  /**
   * Runs what comes between the commit of the call's messages (with its reservation) and the model call; should it
   * fail, the reservation is given back, and the answer, which no generation will end, is stored as failed (left
   * `streaming`, it would keep its conversation refusing new messages).
   */
  private async releasedOnFailure<T>(
    reservation: QuotaReservation | null,
    answer: Pick<Message, 'id'>,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.quotas.release(reservation);
      await this.transactions
        .run((manager) =>
          this.messages.update(manager, answer.id, { status: 'error', error: 'the answer could not be started' }),
        )
        .catch((failure: unknown) =>
          this.logger.error(
            `a failed answer could not be stored: ${failure instanceof Error ? failure.message : failure}`,
          ),
        );
      throw error;
    }
  }

  /** Answers left `streaming` by a process that no longer runs are stored as what they have, `incomplete`. */
  async settleAbandonedAnswers(): Promise<void> {
    let settled: number;
    try {
      settled = await this.generations.settleAbandoned();
    } catch (error) {
      // A process starts while Redis is down; which answers still have a live process is known once it answers,
      // and the sweep (GenerationRegistry) settles them then.
      if (!isRedisUnavailable(error)) throw error;
      this.logger.warn(`answers left unfinished by an earlier process are settled once Redis answers`);
      return;
    }
    if (settled > 0) this.logger.warn(`${settled} answer(s) left unfinished by an earlier process marked incomplete`);
  }

  /**
   * The messages above a new question under `parentId` that the prompt has room for beside it (the question is
   * the newest message, which always fits), oldest first. They exist already, and on PostgreSQL the send's lock on
   * the conversation keeps them from being edited or deleted until the question is stored below them.
   */
  private async historyAbove(
    conversation: Conversation,
    parentId: string | null,
    question: string,
    budgetTokens: number,
  ): Promise<AttachedMessage[]> {
    if (parentId === null) return [];
    const budget = new HistoryBudget(conversation.systemPrompt, budgetTokens);
    budget.admit({ role: 'user', length: question.length });
    return this.messages.pathWhile(conversation.id, parentId, HISTORY_WINDOW - 1, (size) => budget.admit(size));
  }

  /** The model that will answer, checked before anything is stored. */
  private async targetModel(principal: AuthUser, conversationId: string, input: AnswerOptions): Promise<TargetModel> {
    const found = await this.conversations.findOwnedById(principal.id, conversationId);
    if (!found) throw new ConversationNotFoundError();
    const modelId = input.model ?? found.model;
    return { modelId, systemPrompt: found.systemPrompt, ...(await this.models.resolve(modelId)) };
  }

  /** The caller's conversation, locked until the transaction ends (see findOwnedForUpdate). */
  private async lock(manager: EntityManager, principal: AuthUser, conversationId: string): Promise<Conversation> {
    const conversation = await this.conversations.findOwnedForUpdate(manager, principal.id, conversationId);
    if (!conversation) throw new ConversationNotFoundError();
    return conversation;
  }

  /** One generation at a time in a conversation. */
  private async refuseWhileGenerating(manager: EntityManager, conversationId: string): Promise<void> {
    if (await this.messages.hasStreaming(manager, conversationId)) throw new GenerationInProgressError();
  }

  /** The user message `messageId`, or the question that the answer `messageId` answers. */
  private async questionOf(manager: EntityManager, conversationId: string, messageId: string): Promise<Message> {
    const message = await this.messages.findInConversation(conversationId, messageId, manager);
    if (!message) throw new MessageNotFoundError();
    const question =
      message.role === 'user' || message.parentId === null
        ? message
        : await this.messages.findInConversation(conversationId, message.parentId, manager);
    if (!question || question.role !== 'user') throw new NotAQuestionError();
    return question;
  }

  /** The empty answer under `question`, which becomes the conversation's current leaf. */
  private async startAnswer(
    manager: EntityManager,
    conversation: Conversation,
    question: Message,
    modelId: string,
    changes: { title?: string },
  ): Promise<Message> {
    const answer = await this.messages.append(manager, {
      ...message(conversation.id, question.id, 'assistant', modelId),
      content: '',
      status: 'streaming',
    });
    await this.conversations.update(
      conversation.id,
      { ...changes, updatedAt: answer.createdAt, currentLeafId: answer.id },
      manager,
    );
    return answer;
  }

  private async exchange(
    principal: AuthUser,
    conversation: Conversation,
    question: Message,
    answer: Message,
    userMessageIsNew: boolean,
    { modelId, provider, model }: TargetModel,
    options: AnswerOptions,
    reservation: QuotaReservation | null,
  ): Promise<Exchange> {
    const budgetTokens = this.models.contextBudgetTokens(modelId);
    const budget = new HistoryBudget(conversation.systemPrompt, budgetTokens);
    const history = await this.messages.pathWhile(conversation.id, question.id, HISTORY_WINDOW, (size) =>
      budget.admit(size),
    );
    const [userMessage, assistantMessage] = await this.messages.findPlaced(conversation.id, [question.id, answer.id]);
    const prompt = await this.prompts.assemble(conversation.systemPrompt, history, budgetTokens, provider.features);
    const generation = this.generations.start({
      ownerId: principal.id,
      conversationId: conversation.id,
      userMessage: userMessageIsNew ? userMessage : null,
      assistantMessage,
      provider,
      request: {
        model,
        messages: prompt,
        temperature: options.temperature,
        maxTokens: options.maxTokens,
      },
      settleQuota: (manager, used) => this.quotas.settle(reservation, used, manager),
    });
    return { userMessage, userMessageIsNew, assistantMessage, generation };
  }
}

function message(
  conversationId: string,
  parentId: string | null,
  role: Message['role'],
  model: string,
): Omit<NewMessage, 'content' | 'status'> {
  return { conversationId, parentId, role, model, error: null, promptTokens: null, completionTokens: null };
}
