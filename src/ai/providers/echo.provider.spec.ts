import { collectChat } from '../../../test/fakes/collect-chat';
import { EchoProvider } from './echo.provider';

describe('EchoProvider', () => {
  const provider = new EchoProvider();
  const messages = [
    { role: 'system' as const, content: 'You are helpful.' },
    { role: 'user' as const, content: 'first question' },
    { role: 'assistant' as const, content: 'first answer' },
    { role: 'user' as const, content: '  Hello   big world\n' },
  ];

  it('offers echo/echo', async () => {
    await expect(provider.listModels()).resolves.toEqual([{ id: 'echo/echo', provider: 'echo', name: 'echo' }]);
  });

  it('streams the last user message back word by word, then usage and stop', async () => {
    const result = await collectChat(
      provider.streamChat({ model: 'echo', messages, signal: new AbortController().signal }),
    );

    expect(result.error).toBeUndefined();
    expect(result.deltas).toEqual(['  Hello   ', 'big ', 'world\n']);
    expect(result.deltas.join('')).toBe(messages[3].content);
    expect(result.done).toEqual({
      type: 'done',
      usage: { promptTokens: 10, completionTokens: 3 },
      finishReason: 'stop',
    });
  });

  it('answers an empty prompt with no deltas', async () => {
    const result = await collectChat(
      provider.streamChat({ model: 'echo', messages: [], signal: new AbortController().signal }),
    );

    expect(result.deltas).toEqual([]);
    expect(result.done).toMatchObject({ usage: { promptTokens: 0, completionTokens: 0 } });
  });

  it('stops with an AbortError when the caller aborts mid-answer', async () => {
    const controller = new AbortController();

    const result = await collectChat(provider.streamChat({ model: 'echo', messages, signal: controller.signal }), () =>
      controller.abort(),
    );

    expect(result.deltas).toHaveLength(1);
    expect(result.done).toBeUndefined();
    expect(result.error).toMatchObject({ name: 'AbortError' });
  });

  it('stops at the earliest stop sequence, leaving it out, and echoes only the text of parts', async () => {
    const result = await collectChat(
      provider.streamChat({
        model: 'echo',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'one two. three; four' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' } },
            ],
          },
        ],
        stop: [';', '.'],
        signal: new AbortController().signal,
      }),
    );

    expect(result.deltas.join('')).toBe('one two');
    expect(result.done).toMatchObject({ usage: { promptTokens: 4, completionTokens: 2 }, finishReason: 'stop' });
  });
});
