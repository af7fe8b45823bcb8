import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AppError } from '../common/errors/app.error';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { MetricsService } from '../common/metrics/metrics.service';
import { aiConfig, type AiConfig } from '../config/ai.config';
import type { AiProvider, ChatEvent, ChatRequest, Usage } from './ai-provider';
import { AbortError, AiProviderError } from './ai.errors';
import { canHonour } from './features';
import { ModelRegistry } from './model-registry.service';
import { MemoryProviderCooldowns, ProviderCooldowns } from './provider-cooldowns';

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
  /**
   * The model (`<provider>/<model>`) whose answer this is, whole or in part: the one asked, or a fallback from
   * MODEL_FALLBACKS; null when no model answered anything.
   */
  servedBy: string | null;
}

/**
 * What a call produces, in order: deltas and tool-call pieces, then exactly one `end`, which always comes (read
 * the call to it). Tool calls come only to a request that offered tools.
 */
export type ModelCallEvent =
  | { type: 'delta'; text: string }
  | Extract<ChatEvent, { type: 'toolCall' }>
  | { type: 'end'; outcome: ModelCallOutcome };

/** A model to call: the one asked for, or one of its fallbacks. */
interface Candidate {
  provider: AiProvider;
  /** The model's name at the provider. */
  model: string;
  /** `<provider>/<model>`. */
  id: string;
}

/** How one call to one model ended. */
interface Attempt {
  status: ModelCallStatus;
  text: string;
  usage: Usage | null;
  finishReason: string | null;
  error: AppError | null;
  /** Something of the answer went to the consumer: the call is never made again, nor handed to a fallback. */
  started: boolean;
}

/**
 * The wait before retry number `retry` (0 for the first): the vendor's Retry-After when it sent one (null, no
 * retry, when that is longer than AI_RETRY_MAX_DELAY_MS), else exponential backoff with full jitter: anything
 * from 0 to base * 2^retry, at most the maximum.
 */
export function retryDelayMs(
  retry: number,
  error: AppError | null,
  config: Pick<AiConfig, 'retryBaseDelayMs' | 'retryMaxDelayMs'>,
  random: () => number = Math.random,
): number | null {
  const retryAfter = error?.retryAfterSeconds;
  if (retryAfter !== undefined) {
    const ms = retryAfter * 1000;
    return ms > config.retryMaxDelayMs ? null : ms;
  }
  return Math.floor(random() * Math.min(config.retryMaxDelayMs, config.retryBaseDelayMs * 2 ** retry));
}

/** Whether a failure may pass if the call is made again: rate limits, overloads, 5xx, no connection, silence. */
function isRetryable(error: AppError | null): boolean {
  return error instanceof AiProviderError && error.retryable;
}

/**
 * The one place a provider stream is read, for every API that talks to a model: it stops waiting when the
 * provider stays quiet for AI_TIMEOUT_MS, stops the call when the caller's signal or the shutdown aborts,
 * turns whatever went wrong into a failure that is safe to show, and reports what the call produced and used.
 *
 * A call that fails before anything of its answer went out (429, 5xx, no connection, a time-out) is made again
 * up to AI_RETRIES times, after the vendor's Retry-After or a backoff with jitter; once a delta has gone out it
 * never is. A provider whose calls keep failing is paused (ProviderCooldowns) and not called meanwhile. A model
 * that cannot answer, after its retries or because its provider is paused, hands the call to its fallbacks
 * (MODEL_FALLBACKS) in order; the outcome says which model answered (`servedBy`).
 */
@Injectable()
export class ModelCallRunner {
  private readonly logger = new Logger(ModelCallRunner.name);
  private readonly cooldowns: ProviderCooldowns;
  private readonly config: AiConfig;

  constructor(
    // Only the time-out is required of the services built by hand in unit specs: no retries, nor fallbacks, then.
    @Inject(aiConfig.KEY) config: Pick<AiConfig, 'timeoutMs'> & Partial<AiConfig>,
    private readonly shutdown: ShutdownService,
    private readonly metrics: MetricsService,
    // Optional for those services too: without them, no fallbacks, and cool-downs in memory.
    @Optional() private readonly models?: ModelRegistry,
    @Optional() cooldowns?: ProviderCooldowns,
  ) {
    this.config = {
      retries: 0,
      retryBaseDelayMs: 0,
      retryMaxDelayMs: 0,
      cooldownFailures: 3,
      cooldownMs: 30_000,
      fallbacks: new Map(),
      ...config,
    };
    this.cooldowns =
      cooldowns ??
      new MemoryProviderCooldowns({ failures: this.config.cooldownFailures, pauseMs: this.config.cooldownMs });
  }

  async *run(provider: AiProvider, request: ChatRequest): AsyncGenerator<ModelCallEvent> {
    const startedAt = Date.now();
    const cancelled = AbortSignal.any([request.signal, this.shutdown.signal]);
    const requested = `${provider.id}/${request.model}`;
    const chain = [requested, ...(this.config.fallbacks.get(requested) ?? [])];
    let result: Attempt | undefined;
    let servedBy: string | null = null;
    for (const [index, id] of chain.entries()) {
      if (cancelled.aborted) break;
      const candidate = index === 0 ? { provider, model: request.model, id } : await this.fallback(id, request);
      if (!candidate) continue;
      if (index > 0) {
        this.metrics.modelFallbacks.inc({ from: requested, to: id });
        this.logger.warn(`${requested} could not answer (${result?.error?.message ?? 'unknown'}); ${id} answers`);
      }
      result = yield* this.callWithRetries(candidate, request, cancelled);
      if (result.started || result.status === 'complete') servedBy = id;
      // Handed on only what no retry could help with and nothing of which went out.
      if (result.status !== 'error' || result.started || !isRetryable(result.error)) break;
    }
    result ??= { status: 'cancelled', text: '', usage: null, finishReason: null, error: null, started: false };
    if (result.status === 'cancelled') result.error = null;
    yield {
      type: 'end',
      outcome: {
        status: result.status,
        text: result.text,
        usage: result.usage,
        finishReason: result.finishReason,
        error: result.error,
        latencyMs: Date.now() - startedAt,
        servedBy,
      },
    };
  }

  /** One model's call, made again while it fails before its first byte; skipped while its provider is paused. */
  private async *callWithRetries(
    candidate: Candidate,
    request: ChatRequest,
    cancelled: AbortSignal,
  ): AsyncGenerator<ModelCallEvent, Attempt> {
    const paused = await this.pausedFor(candidate.provider.id);
    if (paused > 0) {
      const seconds = Math.max(1, Math.ceil(paused / 1000));
      const error = new AiProviderError(
        'UPSTREAM_UNAVAILABLE',
        `${candidate.provider.id} is paused after failing repeatedly; try again in ${seconds} seconds`,
        seconds,
      );
      return { status: 'error', text: '', usage: null, finishReason: null, error, started: false };
    }
    for (let retry = 0; ; retry++) {
      const attempt = yield* this.attempt(candidate, request, cancelled);
      const again = attempt.status === 'error' && !attempt.started && isRetryable(attempt.error);
      const delay = again && retry < this.config.retries ? retryDelayMs(retry, attempt.error, this.config) : null;
      if (delay === null || cancelled.aborted) {
        await this.note(candidate.provider.id, attempt);
        return attempt;
      }
      this.metrics.modelRetries.inc({ provider: candidate.provider.id, model: candidate.model });
      if (!(await this.sleep(delay, cancelled))) return { ...attempt, status: 'cancelled', error: null };
    }
  }

  /** One call to one model, read to its end. */
  private async *attempt(
    { provider, model }: Candidate,
    request: ChatRequest,
    cancelled: AbortSignal,
  ): AsyncGenerator<ModelCallEvent, Attempt> {
    const startedAt = Date.now();
    // Configured ids only: a request naming an unknown model never gets this far, so the series stay bounded.
    const labels = { provider: provider.id, model };
    // Aborted by the caller, the shutdown, or the idle timer; the provider closes its upstream request on it.
    const call = new AbortController();
    const forward = () => call.abort();
    cancelled.addEventListener('abort', forward, { once: true });
    let timedOut = false;
    let started = false;
    let text = '';
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    let finished = false;
    let failure: AppError | null = null;
    let exhausted = false;
    // The idle timer of the wait in progress, if any: every byte from the vendor starts it again.
    const idle: IdleTimer = {};
    const onData = () => idle.timer?.refresh();
    const iterator = provider.streamChat({ ...request, model, signal: call.signal, onData })[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.nextOf(iterator, call, idle, () => (timedOut = true));
        if (next.done) {
          exhausted = true;
          break;
        }
        const event = next.value;
        if (event.type === 'delta') {
          if (text === '') this.metrics.timeToFirstToken.observe(labels, (Date.now() - startedAt) / 1000);
          text += event.text;
          started = true;
          yield { type: 'delta', text: event.text };
        } else if (event.type === 'toolCall') {
          started = true;
          yield event;
        } else {
          usage = event.usage && {
            promptTokens: plausible(event.usage.promptTokens),
            completionTokens: plausible(event.usage.completionTokens),
          };
          finishReason = event.finishReason;
          finished = true;
        }
      }
    } catch (error) {
      // A provider that threw is done; one that was stopped mid-wait still has to be closed.
      exhausted = error !== STOPPED;
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
    return { status, text, usage, finishReason: finished ? finishReason : null, error: failure, started };
  }

  /** A fallback the request can go to: a model that is available and can honour everything the request asks. */
  private async fallback(id: string, request: ChatRequest): Promise<Candidate | null> {
    if (!this.models) return null;
    try {
      const { provider, model } = await this.models.resolve(id);
      if (!canHonour(provider.features, request)) {
        this.logger.warn(`fallback ${id} skipped: it cannot honour everything this request asks`);
        return null;
      }
      return { provider, model, id };
    } catch (error) {
      this.logger.warn(`fallback ${id} skipped: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  /** How long the provider stays paused; a cool-down store that cannot be read pauses nothing. */
  private async pausedFor(provider: string): Promise<number> {
    try {
      return await this.cooldowns.remainingMs(provider);
    } catch (error) {
      this.logger.warn(`cool-downs cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }

  /** Counts the call towards its provider's cool-down: a failure that retrying could not help, or a success. */
  private async note(provider: string, attempt: Attempt): Promise<void> {
    try {
      if (attempt.status === 'complete') await this.cooldowns.succeeded(provider);
      else if (attempt.status === 'error' && !attempt.started && isRetryable(attempt.error)) {
        const asked = (attempt.error?.retryAfterSeconds ?? 0) * 1000;
        if (await this.cooldowns.failed(provider, asked)) {
          this.metrics.providerCooldowns.inc({ provider });
          this.logger.warn(`provider ${provider} is paused after failing ${this.config.cooldownFailures} times`);
        }
      }
    } catch (error) {
      this.logger.warn(`cool-downs cannot be written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Waits `ms`; false, at once, when `signal` aborts first. */
  private sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * The provider's next event. The timer runs only while the provider is awaited, never while the consumer
   * holds an event, and starts again with every byte the vendor sends (`idle`, see ChatRequest.onData); the wait
   * ends as soon as the call is aborted (rejecting with STOPPED), even when the provider is slow to notice.
   * Everything it sets up is undone when it settles: a stream of thousands of deltas leaves nothing behind per
   * delta.
   */
  private nextOf(
    iterator: AsyncIterator<ChatEvent>,
    call: AbortController,
    idle: IdleTimer,
    onTimeout: () => void,
  ): Promise<IteratorResult<ChatEvent>> {
    if (call.signal.aborted) return Promise.reject(STOPPED);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(STOPPED);
      const timer = setTimeout(() => {
        onTimeout();
        call.abort();
      }, this.config.timeoutMs);
      idle.timer = timer;
      call.signal.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        idle.timer = undefined;
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

/**
 * What a wait for the provider's next event rejects with once its call is aborted: one for every call, compared by
 * identity only. Made once, as an error's stack costs time to take and memory for as long as the call runs.
 */
const STOPPED = new AbortError('the wait for the model was stopped');

/** The time-out of a wait for a provider's next event, while one runs. */
interface IdleTimer {
  timer?: NodeJS.Timeout;
}

/**
 * The most tokens one figure of a call's usage is taken as: beyond any quota (at most 10^9), and within the 32-bit
 * columns that store it, whatever a provider reports.
 */
const MOST_TOKENS = 1_000_000_000;

function plausible(tokens: number): number {
  return Number.isFinite(tokens) ? Math.min(Math.max(Math.trunc(tokens), 0), MOST_TOKENS) : 0;
}
