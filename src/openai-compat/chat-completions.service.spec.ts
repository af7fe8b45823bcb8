import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { TEXT_ONLY, type AiProvider, type ChatEvent, type ChatRequest } from '../ai/ai-provider';
import { AiProviderError, UnknownModelError } from '../ai/ai.errors';
import { ModelCallRunner } from '../ai/model-call-runner.service';
import type { ModelRegistry } from '../ai/model-registry.service';
import type { QuotasService } from '../quotas/quotas.service';
import type { UsageEntry, UsageService } from '../usage/usage.service';
import { ChatCompletionsService, type CompletionEvent } from './chat-completions.service';
import { metricsOff } from '../../test/support/metrics';

const principal = { id: 'u1', email: 'u1@example.com', role: 'user' as const };

function setup(stream: (request: ChatRequest) => AsyncIterable<ChatEvent>) {
  const recorded: UsageEntry[] = [];
  const provider = {
    id: 'fake',
    features: TEXT_ONLY,
    listModels: jest.fn(),
    streamChat: jest.fn(stream),
  } as unknown as AiProvider;
  const models = {
    resolve: jest.fn(async (id: string) => {
      if (!id.startsWith('fake/')) throw new UnknownModelError(id);
      return { provider, model: id.slice('fake/'.length) };
    }),
  };
  const usage = { record: jest.fn(async (entry: UsageEntry) => void recorded.push(entry)) };
  const quotas = {
    reserve: jest.fn(async () => ({ id: 'r1', promptTokens: 1 })),
    settle: jest.fn(async () => undefined),
  };
  const service = new ChatCompletionsService(
    models as unknown as ModelRegistry,
    usage as unknown as UsageService,
    new ModelCallRunner(
      { timeoutMs: 60_000 },
      { signal: new AbortController().signal } as ShutdownService,
      metricsOff(),
    ),
    quotas as unknown as QuotasService,
  );
  return { service, provider, recorded, quotas };
}

const input = { model: 'fake/model-a', messages: [{ role: 'user' as const, content: 'Hi' }] };

async function drain(events: AsyncGenerator<CompletionEvent>): Promise<CompletionEvent[]> {
  const all: CompletionEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('ChatCompletionsService', () => {
  it('passes tool-call pieces on and reports tool_calls as the finish, even where the vendor said stop', async () => {
    const { service } = setup(async function* () {
      yield { type: 'toolCall', index: 0, id: 'c1', name: 'f', arguments: '' };
      yield { type: 'toolCall', index: 0, arguments: '{}' };
      yield { type: 'done', usage: null, finishReason: 'stop' };
    });

    const completion = await service.create(principal, input, new AbortController().signal);

    expect(await drain(completion.events)).toEqual([
      { type: 'toolCall', index: 0, id: 'c1', name: 'f', arguments: '' },
      { type: 'toolCall', index: 0, arguments: '{}' },
      { type: 'done', usage: null, finishReason: 'tool_calls' },
    ]);
  });

  it('passes the bare model name and the limits on, and records a complete call with its usage', async () => {
    const { service, provider, recorded } = setup(async function* () {
      yield { type: 'delta', text: 'Hel' };
      yield { type: 'delta', text: 'lo' };
      yield { type: 'done', usage: { promptTokens: 5, completionTokens: 2 }, finishReason: 'end_turn' };
    });

    const completion = await service.create(
      principal,
      { ...input, temperature: 0.5, max_tokens: 20, max_completion_tokens: 20 },
      new AbortController().signal,
    );
    const events = await drain(completion.events);

    expect(completion).toMatchObject({ id: expect.stringMatching(/^chatcmpl-/), model: 'fake/model-a' });
    expect(events).toEqual([
      { type: 'delta', text: 'Hel' },
      { type: 'delta', text: 'lo' },
      { type: 'done', usage: { promptTokens: 5, completionTokens: 2 }, finishReason: 'stop' },
    ]);
    expect((provider.streamChat as jest.Mock).mock.calls[0][0]).toMatchObject({
      model: 'model-a',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0.5,
      maxTokens: 20,
    });
    expect(recorded).toEqual([
      {
        userId: 'u1',
        model: 'fake/model-a',
        servedBy: 'fake/model-a',
        status: 'complete',
        errorCode: null,
        promptTokens: 5,
        completionTokens: 2,
        latencyMs: expect.any(Number),
      },
    ]);
  });

  it('records the call before the last event goes out', async () => {
    const { service, recorded } = setup(async function* () {
      yield { type: 'done', usage: null, finishReason: 'stop' };
    });
    const completion = await service.create(principal, input, new AbortController().signal);

    const first = await completion.events.next();

    expect(first.value).toMatchObject({ type: 'done', usage: null });
    expect(recorded).toEqual([expect.objectContaining({ status: 'complete', promptTokens: 0, completionTokens: 0 })]);
  });

  it('ends with an error event and records the failure when the provider fails', async () => {
    const { service, recorded } = setup(async function* () {
      yield { type: 'delta', text: 'par' };
      throw new AiProviderError('UPSTREAM_RATE_LIMITED', 'slow down', 3);
    });

    const events = await drain((await service.create(principal, input, new AbortController().signal)).events);

    expect(events.map((event) => event.type)).toEqual(['delta', 'error']);
    expect((events[1] as Extract<CompletionEvent, { type: 'error' }>).error.code).toBe('UPSTREAM_RATE_LIMITED');
    expect(recorded).toEqual([expect.objectContaining({ status: 'error', errorCode: 'UPSTREAM_RATE_LIMITED' })]);
  });

  it('hides an unexpected failure behind UPSTREAM_ERROR', async () => {
    // eslint-disable-next-line require-yield
    const { service } = setup(async function* () {
      throw new TypeError('cannot read properties of undefined');
    });

    const events = await drain((await service.create(principal, input, new AbortController().signal)).events);

    expect(events).toEqual([{ type: 'error', error: expect.objectContaining({ code: 'UPSTREAM_ERROR' }) }]);
  });

  it('records a cancelled call, with no last event, when the caller aborts', async () => {
    const cancel = new AbortController();
    const { service, recorded } = setup(async function* (request) {
      yield { type: 'delta', text: 'so far' };
      await new Promise((resolve) => setImmediate(resolve));
      if (request.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      yield { type: 'delta', text: ' never' };
    });
    const completion = await service.create(principal, input, cancel.signal);

    const events: CompletionEvent[] = [];
    for await (const event of completion.events) {
      events.push(event);
      cancel.abort();
    }

    expect(events).toEqual([{ type: 'delta', text: 'so far' }]);
    expect(recorded).toEqual([expect.objectContaining({ status: 'cancelled', errorCode: null })]);
  });

  it('records a cancelled call when the consumer stops reading midway', async () => {
    const { service, recorded } = setup(async function* () {
      yield { type: 'delta', text: 'one' };
      yield { type: 'delta', text: 'two' };
    });
    const completion = await service.create(principal, input, new AbortController().signal);

    await completion.events.next();
    await completion.events.return(undefined);

    expect(recorded).toEqual([expect.objectContaining({ status: 'cancelled' })]);
  });

  it('reserves on the quotas before the call and settles them with the reported usage', async () => {
    const { service, quotas } = setup(async function* () {
      yield { type: 'delta', text: 'Hi' };
      yield { type: 'done', usage: { promptTokens: 5, completionTokens: 2 }, finishReason: 'stop' };
    });

    const completion = await service.create(principal, { ...input, max_tokens: 10 }, new AbortController().signal);
    expect(quotas.reserve).toHaveBeenCalledWith(principal, 'fake/model-a', { promptTokens: 1, maxTokens: 10 });
    await drain(completion.events);

    expect(quotas.settle).toHaveBeenCalledTimes(1);
    expect(quotas.settle).toHaveBeenCalledWith(
      { id: 'r1', promptTokens: 1 },
      { usage: { promptTokens: 5, completionTokens: 2 }, text: 'Hi' },
    );
  });

  it('settles with what was produced when the consumer stops reading midway', async () => {
    const { service, quotas } = setup(async function* () {
      yield { type: 'delta', text: 'Hel' };
      yield { type: 'delta', text: 'lo' };
      yield { type: 'done', usage: null, finishReason: 'stop' };
    });

    const completion = await service.create(principal, input, new AbortController().signal);
    await completion.events.next();
    await completion.events.return(undefined);

    expect(quotas.settle).toHaveBeenCalledWith({ id: 'r1', promptTokens: 1 }, { usage: null, text: 'Hel' });
  });

  it('refuses an unknown model without calling any provider or recording anything', async () => {
    const { service, provider, recorded } = setup(async function* () {});

    await expect(
      service.create(principal, { ...input, model: 'other/model' }, new AbortController().signal),
    ).rejects.toBeInstanceOf(UnknownModelError);

    expect(provider.streamChat).not.toHaveBeenCalled();
    expect(recorded).toEqual([]);
  });
});
