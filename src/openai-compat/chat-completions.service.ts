import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AiProvider, ChatEvent, ChatRequest, Usage } from '../ai/ai-provider';
import { ModelCallRunner } from '../ai/model-call-runner.service';
import { ModelRegistry } from '../ai/model-registry.service';
import type { AuthUser } from '../common/auth-user';
import { AppError, ShuttingDownError } from '../common/errors/app.error';
import { QuotasService, estimateTokens, type QuotaReservation } from '../quotas/quotas.service';
import type { UsageStatus } from '../usage/usage-record.entity';
import { UsageService } from '../usage/usage.service';
import { OpenAiFinishReason, OpenAiMessage, toChatMessages, toFinishReason } from './chat-messages';
import { toChatOptions, type ChatOptionsInput } from './chat-request';
import type { CompletionIdentity } from './dto/chat-completion-response.dto';

export interface ChatCompletionInput extends ChatOptionsInput {
  model: string;
  messages: OpenAiMessage[];
}

/**
 * What a completion produces, in order: deltas and tool-call pieces, then exactly one `done` or `error` (none
 * when cancelled).
 */
export type CompletionEvent =
  | { type: 'delta'; text: string }
  | Extract<ChatEvent, { type: 'toolCall' }>
  | { type: 'done'; usage: Usage | null; finishReason: OpenAiFinishReason }
  | { type: 'error'; error: AppError };

export interface Completion extends CompletionIdentity {
  /** Runs the model call; iterate it to the end (or abort the signal) so that the usage is recorded. */
  events: AsyncGenerator<CompletionEvent>;
}

/** Chat completions for the OpenAI-compatible API: the client sends the whole history, nothing is stored but usage. */
@Injectable()
export class ChatCompletionsService {
  constructor(
    private readonly models: ModelRegistry,
    private readonly usage: UsageService,
    private readonly runner: ModelCallRunner,
    private readonly quotas: QuotasService,
  ) {}

  /**
   * Resolves the model and hands back the model call as events. An unknown model, or a request the model's
   * provider cannot honour, is refused before anything is recorded: usage rows are keyed by the model's name, so
   * recording invented names would let a client add rows (and report lines) without bound. A call that would
   * pass the caller's quota is refused here too (QUOTA_EXCEEDED, `insufficient_quota`), before anything is recorded.
   */
  async create(principal: AuthUser, input: ChatCompletionInput, signal: AbortSignal): Promise<Completion> {
    const startedAt = Date.now();
    const resolved = await this.models.resolve(input.model);
    const request: ChatRequest = {
      model: resolved.model,
      messages: toChatMessages(input.messages, resolved.provider),
      ...toChatOptions(input, resolved.provider),
      signal,
    };
    const reservation = await this.quotas.reserve(principal, input.model, {
      promptTokens: promptTokens(request.messages),
      maxTokens: request.maxTokens,
    });
    return {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      created: Math.floor(startedAt / 1000),
      model: input.model,
      events: this.run(principal, input.model, resolved.provider, request, startedAt, reservation),
    };
  }

  private async *run(
    principal: AuthUser,
    modelId: string,
    provider: AiProvider,
    request: ChatRequest,
    startedAt: number,
    reservation: QuotaReservation | null,
  ): AsyncGenerator<CompletionEvent> {
    let recorded = false;
    let calledTools = false;
    let text = '';
    try {
      for await (const event of this.runner.run(provider, request)) {
        if (event.type !== 'end') {
          calledTools ||= event.type === 'toolCall';
          if (event.type === 'delta') text += event.text;
          else text += event.arguments;
          yield event;
          continue;
        }
        const { outcome } = event;
        recorded = true;
        await this.quotas.settle(reservation, { usage: outcome.usage, text: outcome.text });
        // Recorded before the last event goes out, so that a client reading its usage right after sees this call.
        await this.record(principal, modelId, startedAt, {
          status: outcome.status,
          error: outcome.error ?? undefined,
          usage: outcome.usage,
          servedBy: outcome.servedBy,
        });
        if (outcome.error) yield { type: 'error', error: outcome.error };
        else if (outcome.status === 'cancelled' && !request.signal?.aborted) {
          // Stopped by the server (its shutdown), not by the client, who is still there and must not take the
          // answer so far for a whole one: an error it can retry, as a status or as the stream's last frame.
          yield { type: 'error', error: new ShuttingDownError('this answer') };
        } else if (outcome.status === 'complete') {
          const finishReason = toFinishReason(outcome.finishReason);
          // OpenAI itself says `stop` after a forced tool call; agent loops look for `tool_calls` to run them.
          yield {
            type: 'done',
            usage: outcome.usage,
            finishReason: calledTools && finishReason === 'stop' ? 'tool_calls' : finishReason,
          };
        }
      }
    } finally {
      // The consumer stopped early (the client left mid-answer).
      if (!recorded) {
        await this.quotas.settle(reservation, { usage: null, text });
        await this.record(principal, modelId, startedAt, { status: 'cancelled', usage: null, servedBy: null });
      }
    }
  }

  private record(
    principal: AuthUser,
    model: string,
    startedAt: number,
    outcome: { status: UsageStatus; error?: AppError; usage: Usage | null; servedBy: string | null },
  ): Promise<void> {
    return this.usage.record({
      userId: principal.id,
      model,
      servedBy: outcome.servedBy,
      status: outcome.status,
      errorCode: outcome.error?.code ?? null,
      promptTokens: outcome.usage?.promptTokens ?? 0,
      completionTokens: outcome.usage?.completionTokens ?? 0,
      latencyMs: Date.now() - startedAt,
    });
  }
}

/** The prompt's size in tokens, roughly: its text, tool calls and tool results (images are not counted). */
function promptTokens(messages: ChatRequest['messages']): number {
  let text = '';
  for (const message of messages) {
    if (typeof message.content === 'string') text += message.content;
    else for (const part of message.content) if (part.type === 'text') text += part.text;
    for (const call of message.toolCalls ?? []) text += call.name + call.arguments;
  }
  return estimateTokens(text);
}
