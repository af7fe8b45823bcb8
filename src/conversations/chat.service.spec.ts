import type { QuotasService } from '../quotas/quotas.service';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { type AiProvider, type ChatEvent, type ChatRequest, TEXT_ONLY } from '../ai/ai-provider';
import { AiProviderError } from '../ai/ai.errors';
import type { ModelRegistry } from '../ai/model-registry.service';
import type { TransactionRunner } from '../database/transaction-runner';
import { ModelCallRunner } from '../ai/model-call-runner.service';
import type { FilesService } from '../files/files.service';
import { ChatService, Exchange } from './chat.service';
import type { ConversationsRepository } from './conversations.repository';
import {
  ConversationNotFoundError,
  GenerationInProgressError,
  MessageNotFoundError,
  ParentNotAnswerError,
} from './conversations.errors';
import type { Conversation } from './entities/conversation.entity';
import type { Message } from './entities/message.entity';
import type { GenerationEvent } from './generation';
import { GenerationRelay } from './generation-relay.service';
import { GenerationRegistry } from './generation-registry.service';
import type { MessageSize, MessagesRepository, NewMessage } from './messages.repository';
import { PromptAssembler } from './prompt-assembler.service';
import type { SendRepository } from './send.repository';
import { metricsOff } from '../../test/support/metrics';

const principal = { id: 'u1', email: 'u1@example.com', role: 'user' as const };

const registries: GenerationRegistry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.onApplicationShutdown();
});

function setup(stream: (request: ChatRequest) => AsyncIterable<ChatEvent>) {
  const log: string[] = [];
  const stored: Message[] = [];
  const conversation: Conversation = {
    id: 'c1',
    ownerId: 'u1',
    title: null,
    model: 'fake/model-a',
    systemPrompt: 'Be brief.',
    archived: false,
    currentLeafId: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
  const conversations = {
    findOwnedById: jest.fn(async (ownerId: string, id: string) =>
      ownerId === conversation.ownerId && id === conversation.id ? conversation : null,
    ),
    findOwnedForUpdate: jest.fn(async (_manager: unknown, ownerId: string, id: string) =>
      ownerId === conversation.ownerId && id === conversation.id ? conversation : null,
    ),
    update: jest.fn(async (..._args: unknown[]) => undefined),
  };
  const byId = (id: string | null) => stored.find((m) => m.id === id) ?? null;
  const messages = {
    append: jest.fn(async (_manager: unknown, m: NewMessage) => {
      log.push(`store ${m.role} ${m.status}`);
      const depth = m.parentId === null ? 1 : byId(m.parentId)!.depth + 1;
      const id = `m${stored.length + 1}`;
      const message = {
        ...m,
        id,
        depth,
        jumpId: m.parentId,
        servedBy: null,
        createdAt: new Date(stored.length + 1),
        editedAt: null,
      };
      stored.push(message);
      return message;
    }),
    update: jest.fn(async (_manager: unknown, id: string, changes: Partial<Message>) => {
      log.push(`update ${byId(id)!.role} ${changes.status}`);
      Object.assign(byId(id)!, changes);
    }),
    storeFinal: jest.fn(async (_manager: unknown, id: string, final: Partial<Message>) => {
      log.push(`update ${byId(id)!.role} ${final.status}`);
      Object.assign(byId(id)!, final);
    }),
    saveStreamingText: jest.fn(async () => undefined),
    hasStreaming: jest.fn(async () => stored.some((m) => m.status === 'streaming')),
    findInConversation: jest.fn(async (_c: string, id: string) => byId(id)),
    findPlaced: jest.fn(async (_c: string, ids: string[]) =>
      ids.map((id) => ({ ...byId(id)!, siblingIndex: 0, siblingCount: 1, attachments: [] })),
    ),
    findPlacedAnswer: jest.fn(async (_c: string, id: string) => ({
      ...byId(id)!,
      siblingIndex: 0,
      siblingCount: 1,
      attachments: [],
    })),
    pathWhile: jest.fn(async (_c: string, leafId: string, max: number, wanted: (size: MessageSize) => boolean) => {
      const kept: (Message & { attachments: [] })[] = [];
      for (let message = byId(leafId); message && kept.length < max; message = byId(message.parentId)) {
        if (!wanted({ role: message.role, length: message.content.length })) break;
        kept.unshift({ ...message, attachments: [] });
      }
      return kept;
    }),
  };
  const provider = {
    id: 'fake',
    features: TEXT_ONLY,
    listModels: jest.fn(),
    streamChat: jest.fn((request: ChatRequest) => {
      log.push('call model');
      return stream(request);
    }),
  } as unknown as AiProvider;
  const models = {
    resolve: jest.fn(async (id: string) => ({ provider, model: id.split('/')[1] })),
    contextBudgetTokens: jest.fn(() => 8000),
  };
  const transactions = {
    run: jest.fn((work: (manager: unknown) => Promise<unknown>) => work({})),
    runOrRefuse: jest.fn((work: (manager: unknown) => Promise<unknown>) => work({})),
    runGrouped: jest.fn((_key: string, work: (manager: unknown) => Promise<unknown>) => work({})),
  };
  // The send's checks and writes, as SendRepository makes them (its SQL is exercised by the e2e specs).
  const sends = {
    store: jest.fn(
      async (
        manager: unknown,
        send: { ownerId: string; conversationId: string; parentId?: string | null; content: string; model: string },
        checked?: (conversation: Conversation, parentId: string | null) => void,
      ) => {
        const current = await conversations.findOwnedForUpdate(manager, send.ownerId, send.conversationId);
        if (!current) throw new ConversationNotFoundError();
        const parentId = send.parentId === undefined ? current.currentLeafId : send.parentId;
        if (send.parentId) {
          const parent = byId(send.parentId);
          if (!parent) throw new MessageNotFoundError();
          if (parent.role !== 'assistant') throw new ParentNotAnswerError();
        }
        if (stored.some((m) => m.status === 'streaming')) throw new GenerationInProgressError();
        checked?.(current, parentId);
        const common = { conversationId: send.conversationId, model: send.model, error: null };
        const tokens = { promptTokens: null, completionTokens: null };
        const question = await messages.append(manager, {
          ...common,
          ...tokens,
          parentId,
          role: 'user',
          content: send.content,
          status: 'complete',
        });
        const answer = await messages.append(manager, {
          ...common,
          ...tokens,
          parentId: question.id,
          role: 'assistant',
          content: '',
          status: 'streaming',
        });
        await conversations.update(send.conversationId, { currentLeafId: answer.id }, manager);
        const placed = (m: Message) => ({ ...m, siblingIndex: 0, siblingCount: 1, attachments: [] });
        return { conversation: current, question: placed(question), answer: placed(answer) };
      },
    ),
  };
  const shutdown = { signal: new AbortController().signal, track: jest.fn() } as unknown as ShutdownService;
  const generations = new GenerationRegistry(
    new ModelCallRunner({ timeoutMs: 60_000 }, shutdown, metricsOff()),
    messages as unknown as MessagesRepository,
    transactions as unknown as TransactionRunner,
    shutdown,
    // Without REDIS_URL: one process, nothing relayed.
    { enabled: false } as GenerationRelay,
    metricsOff(),
  );
  const service = new ChatService(
    conversations as unknown as ConversationsRepository,
    messages as unknown as MessagesRepository,
    models as unknown as ModelRegistry,
    transactions as unknown as TransactionRunner,
    generations,
    sends as unknown as SendRepository,
    // Messages without attachments: the prompt is the history's text (attachments are covered end to end).
    new PromptAssembler({} as FilesService),
    // No quota applies: reserving takes nothing and settling has nothing to settle.
    {
      plan: async () => null,
      reserveWithin: async () => undefined,
      settle: async () => undefined,
      release: async () => undefined,
    } as unknown as QuotasService,
  );
  registries.push(generations);
  return { service, log, stored, provider, conversations };
}

/** Waits for the generation's end and answers with every event it published, as a viewer from the start sees. */
async function drain(exchange: Exchange): Promise<GenerationEvent[]> {
  await exchange.generation.ended;
  const all: GenerationEvent[] = [];
  exchange.generation.subscribe(0, { onEvent: (event) => all.push(event) });
  return all;
}

describe('ChatService.send', () => {
  it('stores the user message before calling the model, then the answer with its usage', async () => {
    const { service, log, stored, provider } = setup(async function* () {
      yield { type: 'delta', text: 'Hel' };
      yield { type: 'delta', text: 'lo' };
      yield { type: 'done', usage: { promptTokens: 7, completionTokens: 2 }, finishReason: 'stop' };
    });
    const exchange = await service.send(principal, 'c1', { content: 'Hi', model: 'fake/model-b' });
    expect(exchange.userMessage).toMatchObject({ role: 'user', content: 'Hi', model: 'fake/model-b' });
    const events = await drain(exchange);
    expect(log).toEqual([
      'store user complete',
      'store assistant streaming',
      'call model',
      'update assistant complete',
    ]);
    expect(exchange.assistantMessage).toMatchObject({ id: 'm2', role: 'assistant', parentId: 'm1' });
    expect(events.map((e) => [e.id, e.event])).toEqual([
      [1, 'user_message'],
      [2, 'generation'],
      [3, 'delta'],
      [4, 'delta'],
      [5, 'assistant_message'],
    ]);
    expect(events[1].data).toEqual({
      id: exchange.generation.id,
      assistantMessage: expect.objectContaining({ id: 'm2' }),
    });
    expect(stored[1]).toMatchObject({ content: 'Hello', status: 'complete', promptTokens: 7, completionTokens: 2 });
    const request = (provider.streamChat as jest.Mock).mock.calls[0][0] as ChatRequest;
    expect(request.model).toBe('model-b');
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  it('keeps the partial answer with status error and reports the failure when the provider fails mid-stream', async () => {
    const { service, stored } = setup(async function* () {
      yield { type: 'delta', text: 'partial' };
      throw new AiProviderError('UPSTREAM_ERROR', 'provider answered 500');
    });
    const events = await drain(await service.send(principal, 'c1', { content: 'Hi' }));
    expect(events.map((e) => e.event)).toEqual(['user_message', 'generation', 'delta', 'error']);
    expect(events[3].data).toEqual({ statusCode: 502, code: 'UPSTREAM_ERROR', message: 'provider answered 500' });
    expect(stored[1]).toMatchObject({
      role: 'assistant',
      content: 'partial',
      status: 'error',
      error: 'provider answered 500',
    });
  });

  it('stores what arrived as incomplete when the generation is cancelled', async () => {
    const { service, stored } = setup(async function* (request) {
      yield { type: 'delta', text: 'so far' };
      await new Promise((resolve) => setImmediate(resolve));
      if (request.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      yield { type: 'delta', text: ' never' };
    });
    const exchange = await service.send(principal, 'c1', { content: 'Hi' });
    const events: GenerationEvent[] = [];
    exchange.generation.subscribe(0, {
      onEvent: (event) => {
        events.push(event);
        if (event.event === 'delta') exchange.generation.cancel();
      },
    });
    await exchange.generation.ended;
    // The stream still ends with the stored message, so that a viewer shows the partial answer as it was kept.
    expect(events.map((e) => e.event)).toEqual(['user_message', 'generation', 'delta', 'assistant_message']);
    expect(events[3].data).toMatchObject({ content: 'so far', status: 'incomplete' });
    expect(stored[1]).toMatchObject({ content: 'so far', status: 'incomplete', error: null });
  });

  it("answers not found for another user's conversation and stores nothing", async () => {
    const { service, stored } = setup(async function* () {});
    await expect(service.send({ ...principal, id: 'u2' }, 'c1', { content: 'Hi' })).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
    expect(stored).toEqual([]);
  });
});

describe('ChatService on branches', () => {
  const echo = async function* (request: ChatRequest): AsyncGenerator<ChatEvent> {
    yield { type: 'delta', text: String(request.messages.at(-1)?.content) };
    yield { type: 'done', usage: { promptTokens: 1, completionTokens: 1 }, finishReason: 'stop' };
  };

  it('refuses to send or regenerate while an answer is being generated, storing nothing', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { service, stored } = setup(async function* (request) {
      // The first answer runs on until the test lets it end.
      if (request.messages.at(-1)?.content === 'Hi') await released;
      yield* echo(request);
    });
    const first = await service.send(principal, 'c1', { content: 'Hi' });
    // The answer is stored as streaming before the model is called; until it ends, the conversation is busy.
    expect(stored[1]).toMatchObject({ role: 'assistant', status: 'streaming', content: '' });
    await expect(service.send(principal, 'c1', { content: 'Again' })).rejects.toBeInstanceOf(GenerationInProgressError);
    await expect(service.regenerate(principal, 'c1', 'm1', {})).rejects.toBeInstanceOf(GenerationInProgressError);
    expect(stored).toHaveLength(2);
    release();
    await drain(first);
    expect(stored[1]).toMatchObject({ status: 'complete', content: 'Hi' });
    await drain(await service.send(principal, 'c1', { content: 'Again' }));
    expect(stored).toHaveLength(4);
  });

  it('sends under the given answer, and refuses a question or an unknown message as parent', async () => {
    const { service, stored, provider } = setup(echo);
    await drain(await service.send(principal, 'c1', { content: 'one' }));
    await drain(await service.send(principal, 'c1', { content: 'two' }));
    await expect(service.send(principal, 'c1', { content: 'x', parentId: 'm1' })).rejects.toBeInstanceOf(
      ParentNotAnswerError,
    );
    await expect(service.send(principal, 'c1', { content: 'x', parentId: 'm9' })).rejects.toBeInstanceOf(
      MessageNotFoundError,
    );
    const edited = await service.send(principal, 'c1', { content: 'two, again', parentId: 'm2' });
    await drain(edited);
    expect(edited.userMessage).toMatchObject({ parentId: 'm2', content: 'two, again' });
    // The prompt is the path to the new message: the first branch's "two" is not on it.
    const request = (provider.streamChat as jest.Mock).mock.calls[2][0] as ChatRequest;
    expect(request.messages.map((m) => m.content)).toEqual(['Be brief.', 'one', 'one', 'two, again']);
    expect(stored).toHaveLength(6);
  });

  it("regenerates an answer's question: a new answer beside it, from the path to the question", async () => {
    const { service, stored, provider } = setup(echo);
    await drain(await service.send(principal, 'c1', { content: 'one' }));
    const again = await service.regenerate(principal, 'c1', 'm2', { temperature: 0.3 });
    expect(again.userMessageIsNew).toBe(false);
    expect(again.userMessage.id).toBe('m1');
    await drain(again);
    expect(stored[2]).toMatchObject({ id: 'm3', parentId: 'm1', role: 'assistant', status: 'complete' });
    const request = (provider.streamChat as jest.Mock).mock.calls[1][0] as ChatRequest;
    expect(request).toMatchObject({ temperature: 0.3 });
    expect(request.messages.map((m) => m.content)).toEqual(['Be brief.', 'one']);
  });
});
