import { collectChat } from '../../../test/fakes/collect-chat';
import { startFakeUpstream, type FakeUpstream } from '../../../test/fakes/fake-upstream';
import { OllamaProvider } from './ollama.provider';

describe('OllamaProvider', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ models: { openai: ['llama3.2', 'qwen2.5:7b'] } });
  });
  beforeEach(() => upstream.reset());
  afterAll(() => upstream.close());

  it.each(['', '/v1'])('talks to /v1 of the server (base URL given with "%s"), without a key', async (suffix) => {
    const provider = new OllamaProvider({ baseUrl: `${upstream.url}${suffix}`, timeoutMs: 1000 });

    const models = await provider.listModels();
    const result = await collectChat(
      provider.streamChat({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'hi' }],
        signal: new AbortController().signal,
      }),
    );

    expect(provider.id).toBe('ollama');
    expect(models.map((model) => model.id)).toEqual(['ollama/llama3.2', 'ollama/qwen2.5:7b']);
    expect(result.error).toBeUndefined();
    expect(result.done).toMatchObject({ finishReason: 'stop' });
    expect(upstream.requests.map((request) => request.path)).toEqual(['/v1/models', '/v1/chat/completions']);
    expect(upstream.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
  });

  it('names itself in its errors', async () => {
    const provider = new OllamaProvider({ baseUrl: upstream.url, timeoutMs: 1000 });
    upstream.fail({ status: 404, body: { error: 'model "nope" not found, try pulling it first' } });

    const { error } = await collectChat(
      provider.streamChat({
        model: 'nope',
        messages: [{ role: 'user', content: 'hi' }],
        signal: new AbortController().signal,
      }),
    );

    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringMatching(/^ollama .*404.*not found/) });
  });
});
