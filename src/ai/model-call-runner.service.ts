import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app.error';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { MetricsService } from '../common/metrics/metrics.service';
import { aiConfig, type AiConfig } from '../config/ai.config';
import type { AiProvider, ChatEvent, ChatRequest, Usage } from './ai-provider';
import { AbortError, AiProviderError } from './ai.errors';

/** How a model call ended. `cancelled`: its signal was aborted (a cancel, a client gone on /v1, or shutdown). */
export type ModelCallStatus = 'complete' | 'cancelled' | 'error';

export interface ModelCallOutcome {
  status: ModelCallStatus;
  /** Every delta's text, joined. */
  text: string;
  usage: Usage | null;
  /** The vendor's own value (`stop`, `end_turn`, ...); null unless complete. */
  finishReason: string | null;
  /** Safe to show a client; set for `error` only. */
  error: AppError | null;
  latencyMs: number;
}

/**
 * What a call produces, in order: deltas and tool-call pieces, then exactly one `end`, which always comes (read
 * the call to it). Tool calls come only to a request that offered tools.
 */
export type ModelCallEvent =
  | { type: 'delta'; text: string }
  | Extract<ChatEvent, { type: 'toolCall' }>
  | { type: 'end'; outcome: ModelCallOutcome };

/**
 * The one place a provider stream is read, for every API that talks to a model: it stops waiting when the
 * provider stays quiet for AI_TIMEOUT_MS, stops the call when the caller's signal or the shutdown aborts,
 * turns whatever went wrong into a failure that is safe to show, and reports what the call produced and used.
 */
@Injectable()
export class ModelCallRunner {
  private readonly logger = new Logger(ModelCallRunner.name);

  constructor(
    @Inject(aiConfig.KEY) private readonly config: AiConfig,
    private readonly shutdown: ShutdownService,
    private readonly metrics: MetricsService,
  ) {}

  async *run(provider: AiProvider, request: ChatRequest): AsyncGenerator<ModelCallEvent> {
    const startedAt = Date.now();
    // Configured ids only: a request naming an unknown model never gets this far, so the series stay bounded.
    const labels = { provider: provider.id, model: request.model };
    const cancelled = AbortSignal.any([request.signal, this.shutdown.signal]);
    // Aborted by the caller, the shutdown, or the idle timer; the provider closes its upstream request on it.
    const call = new AbortController();
    const forward = () => call.abort();
    cancelled.addEventListener('abort', forward, { once: true });
    let timedOut = false;
    let text = '';
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    let finished = false;
    let failure: AppError | null = null;
    let exhausted = false;
    const stop = new AbortError();
    const iterator = provider.streamChat({ ...request, signal: call.signal })[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.nextOf(iterator, call, stop, () => (timedOut = true));
        if (next.done) {
          exhausted = true;
          break;
        }
        const event = next.value;
        if (event.type === 'delta') {
          if (text === '') this.metrics.timeToFirstToken.observe(labels, (Date.now() - startedAt) / 1000);
          text += event.text;
          yield { type: 'delta', text: event.text };
        } else if (event.type === 'toolCall') {
          yield event;
        } else {
          usage = event.usage;
          finishReason = event.finishReason;
          finished = true;
        }
      }
    } catch (error) {
      // A provider that threw is done; one that was stopped mid-wait still has to be closed.
      exhausted = error !== stop;
      failure = this.classify(error, cancelled.aborted, timedOut);
    } finally {
      cancelled.removeEventListener('abort', forward);
      // Stopped, or the consumer stopped reading early: the provider stops too, and closes its upstream request.
      if (!exhausted) {
        call.abort();
        void iterator.return?.(undefined)?.catch(() => undefined);
      }
    }
    if (!finished && !failure && !cancelled.aborted) {
      failure = new AiProviderError('UPSTREAM_ERROR', 'the answer ended before it was complete');
    }
    const status: ModelCallStatus = failure ? 'error' : finished ? 'complete' : 'cancelled';
    this.count(labels, status, usage, Date.now() - startedAt);
    yield {
      type: 'end',
      outcome: {
        status,
        text,
        usage,
        finishReason: finished ? finishReason : null,
        error: failure,
        latencyMs: Date.now() - startedAt,
      },
    };
  }

  /**
   * The provider's next event. The timer runs only while the provider is awaited, never while the consumer
   * holds an event; the wait ends as soon as the call is aborted (rejecting with `stop`), even when the
   * provider is slow to notice. Everything it sets up is undone when it settles: a stream of thousands of
   * deltas leaves nothing behind per delta.
   */
  private nextOf(
    iterator: AsyncIterator<ChatEvent>,
    call: AbortController,
    stop: AbortError,
    onTimeout: () => void,
  ): Promise<IteratorResult<ChatEvent>> {
    if (call.signal.aborted) return Promise.reject(stop);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(stop);
      const timer = setTimeout(() => {
        onTimeout();
        call.abort();
      }, this.config.timeoutMs);
      call.signal.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        call.signal.removeEventListener('abort', onAbort);
      };
      iterator.next().then(
        (next) => {
          settle();
          resolve(next);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }

  private count(
    labels: { provider: string; model: string },
    outcome: ModelCallStatus,
    usage: Usage | null,
    ms: number,
  ) {
    this.metrics.modelRequests.inc({ ...labels, outcome });
    this.metrics.streamDuration.observe({ ...labels, outcome }, ms / 1000);
    if (!usage) return;
    this.metrics.modelTokens.inc({ ...labels, kind: 'prompt' }, usage.promptTokens);
    this.metrics.modelTokens.inc({ ...labels, kind: 'completion' }, usage.completionTokens);
  }

  /** Null when the call was cancelled: that is not a failure to report. */
  private classify(error: unknown, cancelled: boolean, timedOut: boolean): AppError | null {
    if (timedOut) {
      return new AiProviderError('UPSTREAM_TIMEOUT', `the model provider sent nothing for ${this.config.timeoutMs} ms`);
    }
    if (error instanceof AppError) return error;
    if (cancelled) return null;
    this.logger.error(`model call failed: ${error instanceof Error ? error.message : String(error)}`);
    return new AiProviderError('UPSTREAM_ERROR', 'the model provider failed');
  }
}
