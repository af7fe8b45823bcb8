import { Injectable, Logger } from '@nestjs/common';
import type { AiProvider, ChatRequest, Usage } from '../ai/ai-provider';
import { AiProviderError } from '../ai/ai.errors';
import { ModelRegistry } from '../ai/model-registry.service';
import type { AuthUser } from '../common/auth-user';
import { AppError } from '../common/errors/app.error';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { TransactionRunner } from '../database/transaction-runner';
import { ConversationsRepository } from './conversations.repository';
import { ConversationNotFoundError } from './conversations.errors';
import { Message, MessageStatus } from './entities/message.entity';
import { MessagesRepository } from './messages.repository';
import { buildPrompt, HistoryBudget, titleFrom } from './prompt';

export interface SendMessageInput {
  content: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

/** What a send produces after the user message is stored, in order. */
export type ChatStreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'assistant_message'; message: Message }
  /** The stream failed or was cut short; `message` is the stored assistant message with what had arrived. */
  | { type: 'error'; error: AppError; message: Message };

export interface Exchange {
  userMessage: Message;
  /** Runs the model call; iterate it to the end (or abort `signal`) so that the answer is stored. */
  events: AsyncGenerator<ChatStreamEvent>;
}

/**
 * How many recent messages are considered when the prompt is built; of those, only the newest that fit the
 * model's budget are read.
 */
const HISTORY_WINDOW = 200;

@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly models: ModelRegistry,
    private readonly transactions: TransactionRunner,
    private readonly shutdown: ShutdownService,
  ) {}

  /**
   * Stores the user's message first (so it survives whatever happens upstream), then hands back the model
   * call as a stream of events. No transaction is held while the model answers.
   */
  async send(
    principal: AuthUser,
    conversationId: string,
    input: SendMessageInput,
    signal: AbortSignal,
  ): Promise<Exchange> {
    const found = await this.conversations.findOwnedById(principal.id, conversationId);
    if (!found) throw new ConversationNotFoundError();
    const modelId = input.model ?? found.model;
    const { provider, model } = await this.models.resolve(modelId);

    const { conversation, userMessage } = await this.transactions.run(async (manager) => {
      const current = await this.conversations.findOwnedById(principal.id, conversationId, manager);
      if (!current) throw new ConversationNotFoundError();
      const stored = await this.messages.append(manager, {
        conversationId,
        role: 'user',
        content: input.content,
        model: modelId,
        status: 'complete',
        error: null,
        promptTokens: null,
        completionTokens: null,
      });
      await this.conversations.update(
        conversationId,
        { updatedAt: stored.createdAt, ...(current.title ? {} : { title: titleFrom(input.content) }) },
        manager,
      );
      return { conversation: current, userMessage: stored };
    });

    const budgetTokens = this.models.contextBudgetTokens(modelId);
    const budget = new HistoryBudget(conversation.systemPrompt, budgetTokens);
    const history = await this.messages.recentWhile(conversationId, HISTORY_WINDOW, (size) => budget.admit(size));
    const messages = buildPrompt(conversation.systemPrompt, history, budgetTokens);
    const request = {
      model,
      messages,
      temperature: input.temperature,
      maxTokens: input.maxTokens,
      signal: AbortSignal.any([signal, this.shutdown.signal]),
    };
    return { userMessage, events: this.answer(provider, request, conversationId, modelId) };
  }

  private async *answer(
    provider: AiProvider,
    request: ChatRequest,
    conversationId: string,
    modelId: string,
  ): AsyncGenerator<ChatStreamEvent> {
    let text = '';
    let usage: Usage | null = null;
    let finished = false;
    let failure: AppError | undefined;
    try {
      for await (const event of provider.streamChat(request)) {
        if (event.type === 'delta') {
          text += event.text;
          yield { type: 'delta', text: event.text };
        } else {
          usage = event.usage;
          finished = true;
        }
      }
    } catch (error) {
      if (error instanceof AppError) failure = error;
      else if (!request.signal.aborted) {
        this.logger.error(`model call failed: ${error instanceof Error ? error.message : String(error)}`);
        failure = new AiProviderError('UPSTREAM_ERROR', 'the model provider failed');
      }
    } finally {
      // Runs on success, failure, and when the consumer stops early (client gone): the answer so far is kept.
      const status: MessageStatus = failure ? 'error' : finished ? 'complete' : 'incomplete';
      const stored = await this.storeAnswer(conversationId, modelId, text, status, failure?.message ?? null, usage);
      if (failure) yield { type: 'error', error: failure, message: stored };
      else yield { type: 'assistant_message', message: stored };
    }
  }

  private storeAnswer(
    conversationId: string,
    model: string,
    content: string,
    status: MessageStatus,
    error: string | null,
    usage: Usage | null,
  ): Promise<Message> {
    return this.transactions.run(async (manager) => {
      const stored = await this.messages.append(manager, {
        conversationId,
        role: 'assistant',
        content,
        model,
        status,
        error,
        promptTokens: usage?.promptTokens ?? null,
        completionTokens: usage?.completionTokens ?? null,
      });
      await this.conversations.update(conversationId, { updatedAt: stored.createdAt }, manager);
      return stored;
    });
  }
}
