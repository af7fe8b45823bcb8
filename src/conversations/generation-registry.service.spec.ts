import type { AiProvider, ChatEvent } from '../ai/ai-provider';
import { ModelCallRunner } from '../ai/model-call-runner.service';
import type { ShutdownService } from '../common/lifecycle/shutdown.service';
import type { TransactionRunner } from '../database/transaction-runner';
import { GenerationEndedError, GenerationNotFoundError } from './conversations.errors';
import { GenerationRelay } from './generation-relay.service';
import { GenerationRegistry, KEEP_ENDED_MS, type GenerationStart } from './generation-registry.service';
import type { MessagesRepository, PlacedMessage } from './messages.repository';
import { metricsOff } from '../../test/support/metrics';

const owner = { id: 'u1', email: 'u1@example.com', role: 'user' as const };

/** A provider whose answer the test writes, event by event. */
function scriptedProvider() {
  const queue: ChatEvent[] = [];
  let wake: (() => void) | undefined;
  const provider = {
    id: 'fake',
    listModels: jest.fn(),
    async *streamChat() {
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift()!;
          yield event;
          if (event.type === 'done') return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  } as unknown as AiProvider;
  const push = (...events: ChatEvent[]) => {
    queue.push(...events);
    wake?.();
  };
  return { provider, push };
}

const answer = (id: string, conversationId: string) =>
  ({
    id,
    conversationId,
    role: 'assistant',
    content: '',
    status: 'streaming',
    createdAt: new Date(0),
    editedAt: null,
    attachments: [],
  }) as unknown as PlacedMessage;

function setup() {
  const stored = new Map<string, object>();
  const messages = {
    saveStreamingText: jest.fn(async () => undefined),
    finishStreaming: jest.fn(async (_manager: unknown, id: string, changes: object) => {
      stored.set(id, changes);
      return true;
    }),
    storeFinal: jest.fn(async (_manager: unknown, id: string, changes: object) => void stored.set(id, changes)),
    findPlacedAnswer: jest.fn(async (conversationId: string, id: string) => ({
      ...answer(id, conversationId),
      ...stored.get(id),
    })),
  };
  const transactions = { run: jest.fn((work: (manager: unknown) => Promise<unknown>) => work({})) };
  const shutdown = { signal: new AbortController().signal, track: jest.fn() } as unknown as ShutdownService;
  const registry = new GenerationRegistry(
    new ModelCallRunner({ timeoutMs: 60_000 }, shutdown, metricsOff()),
    messages as unknown as MessagesRepository,
    transactions as unknown as TransactionRunner,
    shutdown,
    // Without REDIS_URL: one process, nothing relayed.
    { enabled: false } as GenerationRelay,
    metricsOff(),
  );
  const start = (conversationId: string, messageId: string, settleQuota?: GenerationStart['settleQuota']) => {
    const { provider, push } = scriptedProvider();
    const generation = registry.start({
      ownerId: owner.id,
      conversationId,
      userMessage: null,
      assistantMessage: answer(messageId, conversationId),
      provider,
      request: { model: 'm', messages: [] },
      settleQuota,
    });
    return { generation, push };
  };
  return { registry, messages, shutdown, start };
}

const delta = (text: string): ChatEvent => ({ type: 'delta', text });
const done: ChatEvent = { type: 'done', usage: null, finishReason: 'stop' };

describe('GenerationRegistry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("settles the quota in the answer's transaction, and apart after the answer when that transaction fails", async () => {
    const { registry, messages, start } = setup();
    const settled: unknown[] = [];
    const together = start('c1', 'a1', async (manager, used) => {
      settled.push([manager, used.text]);
    });
    together.push(delta('fine'), done);
    await together.generation.ended;
    // In the same transaction as the answer's final write (the fake transaction's manager is {}).
    expect(settled).toEqual([[{}, 'fine']]);

    settled.length = 0;
    const apart = start('c2', 'b1', async (manager, used) => {
      if (manager) throw new Error('deadlock detected');
      settled.push([manager, used.text]);
    });
    apart.push(delta('kept'), done);
    await apart.generation.ended;
    expect(messages.storeFinal).toHaveBeenLastCalledWith({}, 'b1', expect.objectContaining({ content: 'kept' }));
    expect(settled).toEqual([[undefined, 'kept']]);
    expect(apart.generation.text).toBe('kept');
    registry.onApplicationShutdown();
  });

  it('keeps trying to store an answer the database refused at its end, with its quota, until it is taken', async () => {
    // Its waits are node:timers/promises, which the fake timers do not reach: 1 s, then 2 s.
    jest.useRealTimers();
    const { registry, messages, shutdown, start } = setup();
    const down = new Error('connection terminated');
    // The answer with its settlement, then the answer alone: both refused.
    messages.storeFinal.mockRejectedValueOnce(down).mockRejectedValueOnce(down);
    messages.finishStreaming.mockRejectedValueOnce(down);
    const settled: unknown[] = [];
    const { generation, push } = start('c3', 'd1', async (manager, used) => {
      settled.push([manager, used.text]);
    });
    const tracked = jest.mocked(shutdown.track).mock.calls.length;
    push(delta('late but kept'), done);
    await generation.ended;
    expect(generation.outcome?.message).toBeNull();
    // Running work for the shutdown, which waits for it through its grace period.
    expect(shutdown.track).toHaveBeenCalledTimes(tracked + 1);
    // Apart: the settlement after the answer, whose own write was refused too.
    expect(settled).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(messages.finishStreaming).toHaveBeenCalledTimes(1);
    await jest.mocked(shutdown.track).mock.calls[tracked][0];

    expect(messages.finishStreaming).toHaveBeenCalledTimes(2);
    expect(messages.finishStreaming).toHaveBeenLastCalledWith(
      {},
      'd1',
      expect.objectContaining({ content: 'late but kept', status: 'complete' }),
    );
    // Once, in the transaction of the write that was taken.
    expect(settled).toEqual([[{}, 'late but kept']]);
    registry.onApplicationShutdown();
  });

  it('leaves an answer settled meanwhile as it is, and settles no quota for it', async () => {
    jest.useRealTimers();
    const { registry, messages, shutdown, start } = setup();
    const down = new Error('connection terminated');
    messages.storeFinal.mockRejectedValueOnce(down).mockRejectedValueOnce(down);
    // Another process's sweep stored it `incomplete`, and its owner may have edited it since.
    messages.finishStreaming.mockResolvedValueOnce(false);
    const settled: unknown[] = [];
    const { generation, push } = start('c4', 'e1', async (manager) => {
      settled.push(manager);
    });
    const tracked = jest.mocked(shutdown.track).mock.calls.length;
    push(delta('stale'), done);
    await generation.ended;

    await jest.mocked(shutdown.track).mock.calls[tracked][0];

    expect(messages.finishStreaming).toHaveBeenCalledTimes(1);
    expect(settled).toEqual([]);
    registry.onApplicationShutdown();
  });

  it('saves the text so far about once a second, every running answer in one write, never once per delta', async () => {
    const { registry, messages, start } = setup();
    const a = start('c1', 'a1');
    const b = start('c2', 'b1');

    a.push(delta('one '), delta('two '), delta('three '));
    b.push(delta('uno '));
    await jest.advanceTimersByTimeAsync(999);
    expect(messages.saveStreamingText).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(1);
    expect(messages.saveStreamingText).toHaveBeenCalledTimes(1);
    expect(messages.saveStreamingText).toHaveBeenLastCalledWith({}, [
      { id: 'a1', content: 'one two three ' },
      { id: 'b1', content: 'uno ' },
    ]);

    a.push(delta('four'));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(messages.saveStreamingText).toHaveBeenCalledTimes(2);
    expect(messages.saveStreamingText).toHaveBeenLastCalledWith({}, [{ id: 'a1', content: 'one two three four' }]);

    // Nothing new: nothing written.
    await jest.advanceTimersByTimeAsync(5_000);
    expect(messages.saveStreamingText).toHaveBeenCalledTimes(2);

    a.push(done);
    b.push(done);
    await Promise.all([a.generation.ended, b.generation.ended]);
    expect(messages.storeFinal).toHaveBeenCalledWith(
      {},
      'a1',
      expect.objectContaining({ content: 'one two three four' }),
    );
    registry.onApplicationShutdown();
  });

  it('says which generation runs in a conversation, and keeps an ended one readable for 5 minutes only', async () => {
    const { registry, start } = setup();
    const { generation, push } = start('c1', 'a1');
    expect(await registry.activeIn(['c1', 'c2'])).toEqual([{ id: generation.id, assistantMessageId: 'a1' }, null]);
    await expect(registry.follow({ ...owner, id: 'u2' }, 'c1', generation.id)).rejects.toBeInstanceOf(
      GenerationNotFoundError,
    );
    await expect(registry.follow(owner, 'c2', generation.id)).rejects.toBeInstanceOf(GenerationNotFoundError);

    push(delta('text'), done);
    await generation.ended;
    expect(await registry.activeIn(['c1'])).toEqual([null]);
    await expect(registry.cancel(owner, 'c1', generation.id)).rejects.toBeInstanceOf(GenerationEndedError);

    await jest.advanceTimersByTimeAsync(KEEP_ENDED_MS - 1);
    expect((await registry.follow(owner, 'c1', generation.id)).generation).toBe(generation);
    await jest.advanceTimersByTimeAsync(1);
    await expect(registry.follow(owner, 'c1', generation.id)).rejects.toBeInstanceOf(GenerationNotFoundError);
    registry.onApplicationShutdown();
  });

  it('cancels: the answer so far is stored incomplete before cancel resolves', async () => {
    const { registry, messages, start } = setup();
    const { generation, push } = start('c1', 'a1');
    push(delta('so far'));
    await jest.advanceTimersByTimeAsync(0);

    await registry.cancel(owner, 'c1', generation.id);

    expect(messages.storeFinal).toHaveBeenCalledWith({}, 'a1', expect.objectContaining({ status: 'incomplete' }));
    expect(generation.running).toBe(false);
    registry.onApplicationShutdown();
  });
});
