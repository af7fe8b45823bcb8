import { metricsOff } from '../../test/support/metrics';
import type { ShutdownService } from '../common/lifecycle/shutdown.service';
import type { MetricsService } from '../common/metrics/metrics.service';
import type { AiProvider, ChatEvent, ChatRequest } from './ai-provider';
import { AbortError, AiProviderError } from './ai.errors';
import { ModelCallEvent, ModelCallRunner } from './model-call-runner.service';

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
