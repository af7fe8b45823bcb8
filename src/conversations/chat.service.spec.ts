import { ShutdownService } from '../common/lifecycle/shutdown.service';
import type { AiProvider, ChatEvent, ChatRequest } from '../ai/ai-provider';
import { AiProviderError } from '../ai/ai.errors';
import type { ModelRegistry } from '../ai/model-registry.service';
import type { TransactionRunner } from '../database/transaction-runner';
import { ChatService, ChatStreamEvent } from './chat.service';
import type { ConversationsRepository } from './conversations.repository';
import {
  ConversationNotFoundError,
  GenerationInProgressError,
  MessageNotFoundError,
  ParentNotAnswerError,
} from './conversations.errors';
import type { Conversation } from './entities/conversation.entity';
import type { Message } from './entities/message.entity';
import type { MessageSize, MessagesRepository, NewMessage } from './messages.repository';

const principal = { id: 'u1', email: 'u1@example.com', role: 'user' as const };

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
    update: jest.fn(async () => undefined),
  };
  const byId = (id: string | null) => stored.find((m) => m.id === id) ?? null;
  const messages = {
    append: jest.fn(async (_manager: unknown, m: NewMessage) => {
      log.push(`store ${m.role} ${m.status}`);
      const depth = m.parentId === null ? 1 : byId(m.parentId)!.depth + 1;
      const id = `m${stored.length + 1}`;
      const message = { ...m, id, depth, jumpId: m.parentId, createdAt: new Date(stored.length + 1), editedAt: null };
      stored.push(message);
      return message;
    }),
    update: jest.fn(async (_manager: unknown, id: string, changes: Partial<Message>) => {
      log.push(`update ${byId(id)!.role} ${changes.status}`);
      Object.assign(byId(id)!, changes);
    }),
    hasStreaming: jest.fn(async () => stored.some((m) => m.status === 'streaming')),
    findInConversation: jest.fn(async (_c: string, id: string) => byId(id)),
    findPlaced: jest.fn(async (_c: string, ids: string[]) =>
      ids.map((id) => ({ ...byId(id)!, siblingIndex: 0, siblingCount: 1 })),
    ),
    pathWhile: jest.fn(async (_c: string, leafId: string, max: number, wanted: (size: MessageSize) => boolean) => {
      const kept: Message[] = [];
      for (let message = byId(leafId); message && kept.length < max; message = byId(message.parentId)) {
        if (!wanted({ role: message.role, length: message.content.length })) break;
        kept.unshift(message);
      }
      return kept;
    }),
  };
  const provider = {
    id: 'fake',
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
  };
  const service = new ChatService(
    conversations as unknown as ConversationsRepository,
    messages as unknown as MessagesRepository,
    models as unknown as ModelRegistry,
    transactions as unknown as TransactionRunner,
    { signal: new AbortController().signal } as ShutdownService,
  );
  return { service, log, stored, provider, conversations };
}

async function drain(events: AsyncGenerator<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const all: ChatStreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('ChatService.send', () => {
  it('stores the user message before calling the model, then the answer with its usage', async () => {
    const { service, log, stored, provider } = setup(async function* () {
      yield { type: 'delta', text: 'Hel' };
      yield { type: 'delta', text: 'lo' };
      yield { type: 'done', usage: { promptTokens: 7, completionTokens: 2 }, finishReason: 'stop' };
    });
    const exchange = await service.send(
      principal,
      'c1',
      { content: 'Hi', model: 'fake/model-b' },
      new AbortController().signal,
    );
    expect(exchange.userMessage).toMatchObject({ role: 'user', content: 'Hi', model: 'fake/model-b' });
    const events = await drain(exchange.events);
    expect(log).toEqual([
      'store user complete',
      'store assistant streaming',
      'call model',
      'update assistant complete',
    ]);
    expect(exchange.assistantMessage).toMatchObject({ id: 'm2', role: 'assistant', parentId: 'm1' });
    expect(events.map((e) => e.type)).toEqual(['delta', 'delta', 'assistant_message']);
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
    const events = await drain(
      (await service.send(principal, 'c1', { content: 'Hi' }, new AbortController().signal)).events,
    );
    expect(events.map((e) => e.type)).toEqual(['delta', 'error']);
    const last = events[1] as Extract<ChatStreamEvent, { type: 'error' }>;
    expect(last.error.code).toBe('UPSTREAM_ERROR');
    expect(stored[1]).toMatchObject({
      role: 'assistant',
      content: 'partial',
      status: 'error',
      error: 'provider answered 500',
    });
  });

  it('stores what arrived as incomplete when the caller aborts', async () => {
    const cancel = new AbortController();
    const { service, stored } = setup(async function* (request) {
      yield { type: 'delta', text: 'so far' };
      await new Promise((resolve) => setImmediate(resolve));
      if (request.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      yield { type: 'delta', text: ' never' };
    });
    const exchange = await service.send(principal, 'c1', { content: 'Hi' }, cancel.signal);
    const events: ChatStreamEvent[] = [];
    for await (const event of exchange.events) {
      events.push(event);
      cancel.abort();
    }
    // The stream still ends with the stored message, so that a viewer shows the partial answer as it was kept.
    expect(events.map((e) => e.type)).toEqual(['delta', 'assistant_message']);
    expect(events[1]).toMatchObject({ message: { content: 'so far', status: 'incomplete' } });
    expect(stored[1]).toMatchObject({ content: 'so far', status: 'incomplete', error: null });
  });

  it("answers not found for another user's conversation and stores nothing", async () => {
    const { service, stored } = setup(async function* () {});
    await expect(
      service.send({ ...principal, id: 'u2' }, 'c1', { content: 'Hi' }, new AbortController().signal),
    ).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect(stored).toEqual([]);
  });

  it('titles an untitled conversation from its first message', async () => {
    const { service, conversations } = setup(async function* () {});
    await drain(
      (await service.send(principal, 'c1', { content: 'Trip ideas\nmore' }, new AbortController().signal)).events,
    );
    expect(conversations.update).toHaveBeenCalledWith(
      'c1',
      expect.objectContaining({ title: 'Trip ideas', currentLeafId: 'm2' }),
      {},
    );
  });
});

describe('ChatService on branches', () => {
  const echo = async function* (request: ChatRequest): AsyncGenerator<ChatEvent> {
    yield { type: 'delta', text: String(request.messages.at(-1)?.content) };
    yield { type: 'done', usage: { promptTokens: 1, completionTokens: 1 }, finishReason: 'stop' };
  };
  const signal = new AbortController().signal;

  it('refuses to send or regenerate while an answer is being generated, storing nothing', async () => {
    const { service, stored } = setup(echo);
    const first = await service.send(principal, 'c1', { content: 'Hi' }, signal);
    // The answer is stored as streaming before the model is called; until it ends, the conversation is busy.
    expect(stored[1]).toMatchObject({ role: 'assistant', status: 'streaming', content: '' });
    await expect(service.send(principal, 'c1', { content: 'Again' }, signal)).rejects.toBeInstanceOf(
      GenerationInProgressError,
    );
    await expect(service.regenerate(principal, 'c1', 'm1', {}, signal)).rejects.toBeInstanceOf(
      GenerationInProgressError,
    );
    expect(stored).toHaveLength(2);
    await drain(first.events);
    expect(stored[1]).toMatchObject({ status: 'complete', content: 'Hi' });
    await drain((await service.send(principal, 'c1', { content: 'Again' }, signal)).events);
    expect(stored).toHaveLength(4);
  });

  it('sends under the given answer, and refuses a question or an unknown message as parent', async () => {
    const { service, stored, provider } = setup(echo);
    await drain((await service.send(principal, 'c1', { content: 'one' }, signal)).events);
    await drain((await service.send(principal, 'c1', { content: 'two' }, signal)).events);
    await expect(service.send(principal, 'c1', { content: 'x', parentId: 'm1' }, signal)).rejects.toBeInstanceOf(
      ParentNotAnswerError,
    );
    await expect(service.send(principal, 'c1', { content: 'x', parentId: 'm9' }, signal)).rejects.toBeInstanceOf(
      MessageNotFoundError,
    );
    const edited = await service.send(principal, 'c1', { content: 'two, again', parentId: 'm2' }, signal);
    await drain(edited.events);
    expect(edited.userMessage).toMatchObject({ parentId: 'm2', content: 'two, again' });
    // The prompt is the path to the new message: the first branch's "two" is not on it.
    const request = (provider.streamChat as jest.Mock).mock.calls[2][0] as ChatRequest;
    expect(request.messages.map((m) => m.content)).toEqual(['Be brief.', 'one', 'one', 'two, again']);
    expect(stored).toHaveLength(6);
  });

  it("regenerates an answer's question: a new answer beside it, from the path to the question", async () => {
    const { service, stored, provider } = setup(echo);
    await drain((await service.send(principal, 'c1', { content: 'one' }, signal)).events);
    const again = await service.regenerate(principal, 'c1', 'm2', { temperature: 0.3 }, signal);
    expect(again.userMessageIsNew).toBe(false);
    expect(again.userMessage.id).toBe('m1');
    await drain(again.events);
    expect(stored[2]).toMatchObject({ id: 'm3', parentId: 'm1', role: 'assistant', status: 'complete' });
    const request = (provider.streamChat as jest.Mock).mock.calls[1][0] as ChatRequest;
    expect(request).toMatchObject({ temperature: 0.3 });
    expect(request.messages.map((m) => m.content)).toEqual(['Be brief.', 'one']);
  });
});
