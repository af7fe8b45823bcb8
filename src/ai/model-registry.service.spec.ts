import { Logger } from '@nestjs/common';
import { startFakeUpstream } from '../../test/fakes/fake-upstream';
import type { AiConfig } from '../config/ai.config';
import { AiProvider, TEXT_ONLY, type ChatEvent, type ModelInfo } from './ai-provider';
import { AiProviderError, UnknownModelError } from './ai.errors';
import { ModelRegistry } from './model-registry.service';
import { EchoProvider } from './providers/echo.provider';
import { OpenAiProvider } from './providers/openai.provider';

class StubProvider extends AiProvider {
  readonly features = TEXT_ONLY;
  listModels = jest.fn<Promise<ModelInfo[]>, [AbortSignal?]>();

  constructor(
    readonly id: string,
    names: string[] = [],
  ) {
    super();
    this.listModels.mockImplementation(async () => names.map((name) => ({ id: `${id}/${name}`, provider: id, name })));
  }

  // eslint-disable-next-line require-yield
  async *streamChat(): AsyncGenerator<ChatEvent> {
    throw new Error('not used');
  }
}

const config = (overrides: Partial<AiConfig> = {}): AiConfig => ({
  timeoutMs: 1000,
  retries: 0,
  retryBaseDelayMs: 0,
  retryMaxDelayMs: 0,
  cooldownFailures: 3,
  cooldownMs: 30_000,
  fallbacks: new Map(),
  ...overrides,
});

describe('ModelRegistry', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    jest.useRealTimers();
  });

  it('lists every provider’s models in registration order', async () => {
    const registry = new ModelRegistry(
      [
        new StubProvider('openai', ['gpt-4o-mini']),
        new StubProvider('anthropic', ['claude-sonnet-4-5']),
        new EchoProvider(),
      ],
      config(),
    );

    await expect(registry.listModels()).resolves.toEqual([
      { id: 'openai/gpt-4o-mini', provider: 'openai', name: 'gpt-4o-mini' },
      { id: 'anthropic/claude-sonnet-4-5', provider: 'anthropic', name: 'claude-sonnet-4-5' },
      { id: 'echo/echo', provider: 'echo', name: 'echo' },
    ]);
  });

  it('leaves out a provider that fails, and logs why without breaking the list', async () => {
    const failing = new StubProvider('openai');
    failing.listModels.mockRejectedValue(new AiProviderError('UPSTREAM_ERROR', 'openai could not be reached'));
    const registry = new ModelRegistry([failing, new EchoProvider()], config());

    await expect(registry.listModels()).resolves.toEqual([{ id: 'echo/echo', provider: 'echo', name: 'echo' }]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('openai could not be reached'));
  });

  it('leaves out a provider whose list does not answer within 5 s', async () => {
    jest.useFakeTimers();
    const slow = new StubProvider('ollama');
    slow.listModels.mockReturnValue(new Promise(() => undefined));
    const registry = new ModelRegistry([slow, new EchoProvider()], config());

    const listed = registry.listModels();
    await jest.advanceTimersByTimeAsync(5_000);

    await expect(listed).resolves.toEqual([{ id: 'echo/echo', provider: 'echo', name: 'echo' }]);
    expect(slow.listModels.mock.calls[0][0]?.aborted).toBe(true);
  });

  it('leaves out a real adapter whose upstream answers the list with an error', async () => {
    const upstream = await startFakeUpstream();
    try {
      upstream.fail({ status: 500, on: 'models' });
      const openai = new OpenAiProvider({ baseUrl: `${upstream.url}/v1`, apiKey: 'sk-test-registry', timeoutMs: 1000 });
      const registry = new ModelRegistry([openai, new EchoProvider()], config());

      await expect(registry.listModels()).resolves.toEqual([{ id: 'echo/echo', provider: 'echo', name: 'echo' }]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('HTTP 500'));
      expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('sk-test-registry'));
    } finally {
      await upstream.close();
    }
  });

  it('caches each list for a minute, and shares one request between concurrent callers', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const openai = new StubProvider('openai', ['gpt-4o-mini']);
    const registry = new ModelRegistry([openai], config());

    await Promise.all([registry.listModels(), registry.listModels(), registry.resolve('openai/gpt-4o-mini')]);
    now.mockReturnValue(1_000_000 + 59_000);
    await registry.listModels();
    expect(openai.listModels).toHaveBeenCalledTimes(1);

    now.mockReturnValue(1_000_000 + 61_000);
    await registry.listModels();
    expect(openai.listModels).toHaveBeenCalledTimes(2);
    now.mockRestore();
  });

  it('asks a failed provider again sooner than a healthy one', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const openai = new StubProvider('openai', ['gpt-4o-mini']);
    openai.listModels.mockRejectedValueOnce(new AiProviderError('UPSTREAM_ERROR', 'down'));
    const registry = new ModelRegistry([openai], config());

    await expect(registry.listModels()).resolves.toEqual([]);
    now.mockReturnValue(1_000_000 + 11_000);
    await expect(registry.listModels()).resolves.toHaveLength(1);
    expect(openai.listModels).toHaveBeenCalledTimes(2);
    now.mockRestore();
  });

  describe('resolve', () => {
    const openai = new StubProvider('openai', ['gpt-4o-mini', 'org/model:tag']);
    const down = new StubProvider('ollama');
    down.listModels.mockRejectedValue(new AiProviderError('UPSTREAM_ERROR', 'ollama could not be reached'));
    const registry = new ModelRegistry([openai, down, new EchoProvider()], config());

    it('returns the adapter and the model name at the provider', async () => {
      await expect(registry.resolve('openai/gpt-4o-mini')).resolves.toEqual({ provider: openai, model: 'gpt-4o-mini' });
      await expect(registry.resolve('openai/org/model:tag')).resolves.toEqual({
        provider: openai,
        model: 'org/model:tag',
      });
      await expect(registry.resolve('echo/echo')).resolves.toMatchObject({ model: 'echo' });
    });

    it.each(['anthropic/claude-sonnet-4-5', 'openai/gpt-5', 'echo/other', 'gpt-4o-mini', 'openai/', '/echo'])(
      'rejects %s as an unknown model',
      async (id) => {
        await expect(registry.resolve(id)).rejects.toBeInstanceOf(UnknownModelError);
      },
    );

    it('accepts any model of an enabled provider that has never listed its models', async () => {
      await expect(registry.resolve('ollama/llama3.2')).resolves.toEqual({ provider: down, model: 'llama3.2' });
    });

    it('checks names against the last list while a provider cannot list, so made-up ones stay refused', async () => {
      const now = jest.spyOn(Date, 'now').mockReturnValue(2_000_000);
      try {
        const flaky = new StubProvider('openai', ['gpt-4o-mini']);
        const own = new ModelRegistry([flaky], config());
        await expect(own.resolve('openai/gpt-4o-mini')).resolves.toMatchObject({ model: 'gpt-4o-mini' });
        flaky.listModels.mockRejectedValue(new AiProviderError('UPSTREAM_ERROR', 'list is down'));
        now.mockReturnValue(2_000_000 + 61_000);

        await expect(own.resolve('openai/made-up-model')).rejects.toBeInstanceOf(UnknownModelError);
        await expect(own.resolve('openai/gpt-4o-mini')).resolves.toMatchObject({ model: 'gpt-4o-mini' });
        expect(flaky.listModels).toHaveBeenCalledTimes(2);
        // The list of available models says what is true now: nothing from it.
        await expect(own.listModels()).resolves.toEqual([]);
      } finally {
        now.mockRestore();
      }
    });
  });

  describe('defaultModelId', () => {
    it('is DEFAULT_MODEL when configured', async () => {
      const registry = new ModelRegistry([new EchoProvider()], config({ defaultModel: 'openai/gpt-4o' }));

      await expect(registry.defaultModelId()).resolves.toBe('openai/gpt-4o');
    });

    it('is otherwise the first available model, a real one before echo', async () => {
      const registry = new ModelRegistry(
        [new StubProvider('anthropic', ['claude-haiku-4-5']), new EchoProvider()],
        config(),
      );

      await expect(registry.defaultModelId()).resolves.toBe('anthropic/claude-haiku-4-5');
      await expect(new ModelRegistry([new EchoProvider()], config()).defaultModelId()).resolves.toBe('echo/echo');
    });
  });

  it('gives large-context families a larger history budget than unknown models', () => {
    const registry = new ModelRegistry([], config());

    expect(registry.contextBudgetTokens('openai/gpt-4o-mini')).toBe(100_000);
    expect(registry.contextBudgetTokens('anthropic/claude-sonnet-4-5')).toBe(100_000);
    expect(registry.contextBudgetTokens('openai/some-local-model')).toBe(8_000);
    expect(registry.contextBudgetTokens('echo/echo')).toBe(8_000);
    expect(registry.contextBudgetTokens('ollama/llama3.2')).toBeLessThan(8_000);
  });
});
