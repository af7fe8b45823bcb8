import { metricsOff } from '../../test/support/metrics';
import type { ShutdownService } from '../common/lifecycle/shutdown.service';
import type { MetricsService } from '../common/metrics/metrics.service';
import { TEXT_ONLY, type AiProvider, type ChatEvent, type ChatRequest } from './ai-provider';
import { AbortError, AiProviderError } from './ai.errors';
import { ModelCallEvent, ModelCallRunner, retryDelayMs } from './model-call-runner.service';
import type { ModelRegistry } from './model-registry.service';
import { MemoryProviderCooldowns } from './provider-cooldowns';
import { OPENAI_FEATURES } from './providers/openai.provider';
import type { AiConfig } from '../config/ai.config';

function setup(stream: (request: ChatRequest) => AsyncIterable<ChatEvent>, timeoutMs = 60_000) {
  const shutdown = new AbortController();
  const provider = { id: 'fake', listModels: jest.fn(), streamChat: jest.fn(stream) } as unknown as AiProvider;
  const metrics = metricsOff();
  const runner = new ModelCallRunner({ timeoutMs }, { signal: shutdown.signal } as ShutdownService, metrics);
  return { runner, provider, shutdown, metrics };
}

async function drain(events: AsyncIterable<ModelCallEvent>, onDelta?: () => void): Promise<ModelCallEvent[]> {
  const all: ModelCallEvent[] = [];
  for await (const event of events) {
    all.push(event);
    if (event.type === 'delta') onDelta?.();
  }
  return all;
}

/** Waits, like a network stream, until the request's signal aborts, then fails as providers do. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new AbortError()), { once: true }));

const request = (signal = new AbortController().signal): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: 'Hi' }],
  signal,
});

describe('ModelCallRunner', () => {
  it('passes the deltas on and ends with the text, usage and finish reason', async () => {
    const { runner, provider } = setup(async function* () {
      yield { type: 'delta', text: 'Hel' };
      yield { type: 'delta', text: 'lo' };
      yield { type: 'done', usage: { promptTokens: 3, completionTokens: 2 }, finishReason: 'stop' };
    });

    const events = await drain(runner.run(provider, request()));

    expect(events).toEqual([
      { type: 'delta', text: 'Hel' },
      { type: 'delta', text: 'lo' },
      {
        type: 'end',
        outcome: {
          status: 'complete',
          text: 'Hello',
          usage: { promptTokens: 3, completionTokens: 2 },
          finishReason: 'stop',
          error: null,
          latencyMs: expect.any(Number),
          servedBy: 'fake/m',
        },
      },
    ]);
  });

  it('counts each call by provider, model and outcome, with its tokens and its time to the first text', async () => {
    const { runner, provider, metrics } = setup(async function* () {
      yield { type: 'delta', text: 'Hi' };
      yield { type: 'done', usage: { promptTokens: 7, completionTokens: 4 }, finishReason: 'stop' };
    });
    await drain(runner.run(provider, request()));
    const failing = setup(async function* () {
      yield* [];
      throw new AiProviderError('UPSTREAM_ERROR', 'down');
    });
    await drain(failing.runner.run(failing.provider, request()));

    type Series = { labels: object; value: number; metricName?: string };
    const values = async (metric: { get(): Promise<{ values: Series[] }> }) =>
      (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));
    expect(await values(metrics.modelRequests)).toEqual([
      { labels: { provider: 'fake', model: 'm', outcome: 'complete' }, value: 1 },
    ]);
    expect(await values(failing.metrics.modelRequests)).toEqual([
      { labels: { provider: 'fake', model: 'm', outcome: 'error' }, value: 1 },
    ]);
    expect(await values(metrics.modelTokens)).toEqual([
      { labels: { provider: 'fake', model: 'm', kind: 'prompt' }, value: 7 },
      { labels: { provider: 'fake', model: 'm', kind: 'completion' }, value: 4 },
    ]);
    const counts = async (metrics: MetricsService) =>
      ((await metrics.timeToFirstToken.get()).values as Series[]).filter((v) => v.metricName?.endsWith('_count'));
    expect((await counts(metrics)).map((v) => v.value)).toEqual([1]);
    expect(await counts(failing.metrics)).toEqual([]);
  });

  it('ends cancelled, with what arrived and no error, when the caller aborts, and stops the provider', async () => {
    const cancel = new AbortController();
    let providerSignal: AbortSignal | undefined;
    const { runner, provider } = setup(async function* (req) {
      providerSignal = req.signal;
      yield { type: 'delta', text: 'so far' };
      await untilAborted(req.signal);
    });

    const events = await drain(runner.run(provider, request(cancel.signal)), () => cancel.abort());

    expect(events.at(-1)).toEqual({
      type: 'end',
      outcome: expect.objectContaining({ status: 'cancelled', text: 'so far', error: null }),
    });
    expect(providerSignal?.aborted).toBe(true);
  });

  it('ends cancelled at shutdown', async () => {
    const { runner, provider, shutdown } = setup(async function* (req) {
      yield { type: 'delta', text: 'part' };
      await untilAborted(req.signal);
    });

    const events = await drain(runner.run(provider, request()), () => shutdown.abort());

    expect(events.at(-1)).toMatchObject({ type: 'end', outcome: { status: 'cancelled', text: 'part' } });
  });

  it('gives up with UPSTREAM_TIMEOUT when the provider stays quiet for AI_TIMEOUT_MS, keeping what arrived', async () => {
    const { runner, provider } = setup(async function* (req) {
      yield { type: 'delta', text: 'half' };
      await untilAborted(req.signal);
    }, 30);

    const events = await drain(runner.run(provider, request()));

    expect(events.at(-1)).toMatchObject({
      type: 'end',
      outcome: { status: 'error', text: 'half', error: expect.objectContaining({ code: 'UPSTREAM_TIMEOUT' }) },
    });
  });

  it("keeps a provider's own error, and hides anything else behind UPSTREAM_ERROR", async () => {
    const known = setup(async function* () {
      yield { type: 'delta', text: 'a' };
      throw new AiProviderError('UPSTREAM_RATE_LIMITED', 'slow down', 3);
    });
    // eslint-disable-next-line require-yield
    const unknown = setup(async function* () {
      throw new TypeError('cannot read properties of undefined');
    });

    const [first, second] = await Promise.all([
      drain(known.runner.run(known.provider, request())),
      drain(unknown.runner.run(unknown.provider, request())),
    ]);

    expect(first.at(-1)).toMatchObject({
      outcome: { status: 'error', text: 'a', error: { code: 'UPSTREAM_RATE_LIMITED', retryAfterSeconds: 3 } },
    });
    expect(second.at(-1)).toMatchObject({
      outcome: { status: 'error', error: { code: 'UPSTREAM_ERROR', message: 'the model provider failed' } },
    });
  });

  it('aborts the provider when the consumer stops reading early', async () => {
    let providerSignal: AbortSignal | undefined;
    const { runner, provider } = setup(async function* (req) {
      providerSignal = req.signal;
      yield { type: 'delta', text: 'one' };
      yield { type: 'delta', text: 'two' };
    });

    const events = runner.run(provider, request());
    await events.next();
    await events.return(undefined);

    expect(providerSignal?.aborted).toBe(true);
  });
});

type Script = (request: ChatRequest) => AsyncIterable<ChatEvent>;

/** A provider that plays one script a call, the last one again once they run out. */
function scripted(id: string, scripts: Script[], features = OPENAI_FEATURES) {
  let calls = 0;
  const streamChat = jest.fn((req: ChatRequest) => scripts[Math.min(calls++, scripts.length - 1)](req));
  return { id, features, listModels: jest.fn(), streamChat } as unknown as AiProvider & {
    streamChat: jest.Mock;
  };
}

const answers = (text = 'Hi'): Script =>
  async function* () {
    yield { type: 'delta', text };
    yield { type: 'done', usage: { promptTokens: 1, completionTokens: 1 }, finishReason: 'stop' };
  };
const fails = (error: () => Error): Script =>
  // eslint-disable-next-line require-yield
  async function* () {
    throw error();
  };
const unavailable = () => new AiProviderError('UPSTREAM_UNAVAILABLE', 'fake is unavailable (HTTP 503)');

function resilient(config: Partial<AiConfig>, others: AiProvider[] = []) {
  const shutdown = new AbortController();
  const metrics = metricsOff();
  const full = { timeoutMs: 60_000, retries: 2, retryBaseDelayMs: 0, retryMaxDelayMs: 1_000, ...config };
  const cooldowns = new MemoryProviderCooldowns({
    failures: full.cooldownFailures ?? 3,
    pauseMs: full.cooldownMs ?? 30_000,
  });
  const models = {
    resolve: jest.fn((id: string) => {
      const [providerId, model] = id.split('/');
      const provider = others.find((candidate) => candidate.id === providerId);
      return provider ? Promise.resolve({ provider, model }) : Promise.reject(new Error(`unknown model ${id}`));
    }),
  } as unknown as ModelRegistry;
  const runner = new ModelCallRunner(full, { signal: shutdown.signal } as ShutdownService, metrics, models, cooldowns);
  return { runner, metrics, cooldowns };
}

const outcomeOf = (events: ModelCallEvent[]) => {
  const last = events.at(-1);
  if (last?.type !== 'end') throw new Error('no end event');
  return last.outcome;
};
const valuesOf = async (metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) =>
  (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));

describe('ModelCallRunner when providers fail', () => {
  it('makes a call that failed before its first byte again, up to AI_RETRIES times, and answers', async () => {
    const provider = scripted('fake', [fails(unavailable), fails(unavailable), answers('at last')]);
    const { runner, metrics } = resilient({ retries: 2 });

    const outcome = outcomeOf(await drain(runner.run(provider, request())));

    expect(outcome).toMatchObject({ status: 'complete', text: 'at last', servedBy: 'fake/m', error: null });
    expect(provider.streamChat).toHaveBeenCalledTimes(3);
    expect(await valuesOf(metrics.modelRetries)).toEqual([{ labels: { provider: 'fake', model: 'm' }, value: 2 }]);
  });

  it('reports the failure once the retries are spent', async () => {
    const provider = scripted('fake', [fails(unavailable)]);
    const { runner } = resilient({ retries: 2 });

    const outcome = outcomeOf(await drain(runner.run(provider, request())));

    expect(outcome).toMatchObject({ status: 'error', servedBy: null, error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(provider.streamChat).toHaveBeenCalledTimes(3);
  });

  it('retries connection failures and time-outs, but not a failure that would only repeat', async () => {
    const unreachable = scripted('fake', [
      fails(() => new AiProviderError('UPSTREAM_ERROR', 'unreachable', undefined, { retryable: true })),
      answers(),
    ]);
    const silent = scripted('fake', [
      (req) => ({ [Symbol.asyncIterator]: () => ({ next: () => untilAborted(req.signal) }) }),
      answers(),
    ]);
    const refused = scripted('fake', [fails(() => new AiProviderError('UPSTREAM_ERROR', 'HTTP 400')), answers()]);

    const [first, second, third] = await Promise.all([
      drain(resilient({ retries: 1 }).runner.run(unreachable, request())),
      drain(resilient({ retries: 1, timeoutMs: 30 }).runner.run(silent, request())),
      drain(resilient({ retries: 1 }).runner.run(refused, request())),
    ]);

    expect(outcomeOf(first).status).toBe('complete');
    expect(outcomeOf(second).status).toBe('complete');
    expect(outcomeOf(third)).toMatchObject({ status: 'error', error: { message: 'HTTP 400' } });
    expect(refused.streamChat).toHaveBeenCalledTimes(1);
  });

  it('never makes a call again once a delta has gone out: the partial answer stays, with the error', async () => {
    const provider = scripted('fake', [
      async function* () {
        yield { type: 'delta', text: 'half' };
        throw unavailable();
      },
      answers(),
    ]);
    const { runner } = resilient({ retries: 2 });

    const events = await drain(runner.run(provider, request()));

    expect(events.filter((event) => event.type === 'delta')).toEqual([{ type: 'delta', text: 'half' }]);
    expect(outcomeOf(events)).toMatchObject({ status: 'error', text: 'half', servedBy: 'fake/m' });
    expect(provider.streamChat).toHaveBeenCalledTimes(1);
  });

  it('stops at once when cancelled while waiting to retry', async () => {
    const cancel = new AbortController();
    const provider = scripted('fake', [
      // eslint-disable-next-line require-yield
      async function* () {
        setImmediate(() => cancel.abort());
        throw new AiProviderError('UPSTREAM_RATE_LIMITED', 'slow down', 60);
      },
    ]);
    const { runner } = resilient({ retries: 2, retryMaxDelayMs: 120_000 });

    const outcome = outcomeOf(await drain(runner.run(provider, request(cancel.signal))));

    expect(outcome).toMatchObject({ status: 'cancelled', error: null });
    expect(provider.streamChat).toHaveBeenCalledTimes(1);
  });

  it('does not wait out a Retry-After longer than AI_RETRY_MAX_DELAY_MS: the client gets it instead', async () => {
    const provider = scripted('fake', [
      fails(() => new AiProviderError('UPSTREAM_RATE_LIMITED', 'slow down', 120)),
      answers(),
    ]);
    const { runner } = resilient({ retries: 2, retryMaxDelayMs: 30_000 });

    const outcome = outcomeOf(await drain(runner.run(provider, request())));

    expect(outcome).toMatchObject({
      status: 'error',
      error: { code: 'UPSTREAM_RATE_LIMITED', retryAfterSeconds: 120 },
    });
    expect(provider.streamChat).toHaveBeenCalledTimes(1);
  });

  it('pauses a provider after AI_COOLDOWN_FAILURES failed calls in a row, and fails fast meanwhile', async () => {
    const provider = scripted('fake', [fails(unavailable)]);
    const { runner, metrics } = resilient({ retries: 1, cooldownFailures: 2, cooldownMs: 60_000 });

    await drain(runner.run(provider, request()));
    await drain(runner.run(provider, request()));
    const outcome = outcomeOf(await drain(runner.run(provider, request())));

    expect(provider.streamChat).toHaveBeenCalledTimes(4);
    expect(outcome).toMatchObject({
      status: 'error',
      error: { code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 60 },
    });
    expect(await valuesOf(metrics.providerCooldowns)).toEqual([{ labels: { provider: 'fake' }, value: 1 }]);
  });

  it('counts failures in a row only: a call that answers starts the count again', async () => {
    const provider = scripted('fake', [fails(unavailable), answers(), fails(unavailable), answers()]);
    const { runner } = resilient({ retries: 0, cooldownFailures: 2 });

    for (let n = 0; n < 3; n++) await drain(runner.run(provider, request()));
    const outcome = outcomeOf(await drain(runner.run(provider, request())));

    expect(outcome.status).toBe('complete');
    expect(provider.streamChat).toHaveBeenCalledTimes(4);
  });

  it('hands the call to the next model in MODEL_FALLBACKS, which is then the one that served it', async () => {
    const primary = scripted('fake', [fails(unavailable)]);
    const broken = scripted('broken', [fails(unavailable)]);
    const other = scripted('other', [answers('from the fallback')]);
    const fallbacks = new Map([['fake/m', ['gone/x', 'broken/y', 'other/n']]]);
    const { runner, metrics } = resilient({ retries: 1, fallbacks }, [broken, other]);

    const events = await drain(runner.run(primary, request()));

    expect(outcomeOf(events)).toMatchObject({ status: 'complete', text: 'from the fallback', servedBy: 'other/n' });
    expect(primary.streamChat).toHaveBeenCalledTimes(2);
    expect(broken.streamChat).toHaveBeenCalledTimes(2);
    expect(other.streamChat.mock.calls[0][0]).toMatchObject({ model: 'n' });
    expect(await valuesOf(metrics.modelFallbacks)).toEqual([
      { labels: { from: 'fake/m', to: 'broken/y' }, value: 1 },
      { labels: { from: 'fake/m', to: 'other/n' }, value: 1 },
    ]);
  });

  it('goes straight to the fallback while the provider asked for is paused', async () => {
    const primary = scripted('fake', [fails(unavailable)]);
    const other = scripted('other', [answers()]);
    const { runner, cooldowns } = resilient({ fallbacks: new Map([['fake/m', ['other/n']]]) }, [other]);
    for (let n = 0; n < 3; n++) await cooldowns.failed('fake');

    const outcome = outcomeOf(await drain(runner.run(primary, request())));

    expect(outcome).toMatchObject({ status: 'complete', servedBy: 'other/n' });
    expect(primary.streamChat).not.toHaveBeenCalled();
  });

  it('does not hand on a call that failed for good, nor one a fallback could not honour', async () => {
    const refusing = scripted('fake', [fails(() => new AiProviderError('UPSTREAM_ERROR', 'HTTP 400'))]);
    const down = scripted('fake', [fails(unavailable)]);
    const textOnly = scripted('other', [answers()], TEXT_ONLY);
    const fallbacks = new Map([['fake/m', ['other/n']]]);
    const withTools = { ...request(), tools: [{ name: 'lookup' }] };

    const [first, second] = await Promise.all([
      drain(resilient({ retries: 0, fallbacks }, [textOnly]).runner.run(refusing, request())),
      drain(resilient({ retries: 0, fallbacks }, [textOnly]).runner.run(down, withTools)),
    ]);

    expect(outcomeOf(first)).toMatchObject({ status: 'error', error: { message: 'HTTP 400' } });
    expect(outcomeOf(second)).toMatchObject({ status: 'error', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(textOnly.streamChat).not.toHaveBeenCalled();
  });
});

describe('retryDelayMs', () => {
  const config = { retryBaseDelayMs: 100, retryMaxDelayMs: 5_000 };

  it("waits as long as the vendor's Retry-After says, and does not retry when that is over the maximum", () => {
    const limited = (seconds: number) => new AiProviderError('UPSTREAM_RATE_LIMITED', 'slow down', seconds);
    expect(retryDelayMs(0, limited(2), config)).toBe(2_000);
    expect(retryDelayMs(0, limited(0), config)).toBe(0);
    expect(retryDelayMs(0, limited(6), config)).toBeNull();
  });

  it('otherwise backs off exponentially with full jitter, up to the maximum', () => {
    const error = new AiProviderError('UPSTREAM_UNAVAILABLE', 'down');
    expect(retryDelayMs(0, error, config, () => 0)).toBe(0);
    expect(retryDelayMs(0, error, config, () => 0.5)).toBe(50);
    expect(retryDelayMs(3, error, config, () => 0.5)).toBe(400);
    expect(retryDelayMs(10, error, config, () => 0.999)).toBeLessThan(5_000);
    expect(retryDelayMs(10, error, config, () => 0.5)).toBe(2_500);
  });
});
