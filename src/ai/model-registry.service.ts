import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { aiConfig, type AiConfig } from '../config/ai.config';
import { AI_PROVIDERS, AiProvider, type ModelInfo } from './ai-provider';
import { UnknownModelError } from './ai.errors';

/** How long a provider's model list is trusted. */
const LIST_TTL_MS = 60_000;
/** A provider that just failed is not asked again for this long, so a dead one does not slow every request. */
const FAILURE_TTL_MS = 10_000;
/** Listing models sits in the path of requests; a slow provider is left out rather than waited for. */
const LIST_TIMEOUT_MS = 5_000;

const DEFAULT_BUDGET_TOKENS = 8_000;
/** Input budgets by model name, first match wins; conservative against the vendors' real windows. */
const BUDGETS: [RegExp, number][] = [[/^(gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|o[134]\b|o[134]-|claude)/i, 100_000]];
/** Ollama truncates prompts to its own small default context (a few thousand tokens) whatever the model. */
const PROVIDER_BUDGETS: Record<string, number> = { ollama: 4_000 };

interface CachedList {
  /** Null when the provider could not list its models. */
  models: Promise<ModelInfo[] | null>;
  expiresAt: number;
}

/** Knows every enabled provider and the models they offer; turns `<provider>/<model>` ids into adapters. */
@Injectable()
export class ModelRegistry implements OnModuleInit {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly cache = new Map<string, CachedList>();
  /** Each provider's last list that arrived, to check names against while it cannot list (see resolve). */
  private readonly lastKnown = new Map<string, ModelInfo[]>();

  constructor(
    @Inject(AI_PROVIDERS) private readonly providers: AiProvider[],
    @Inject(aiConfig.KEY) private readonly config: AiConfig,
  ) {}

  /**
   * Checked once every module is built rather than while they are: a start that fails here closes the database
   * it opened, where a failure mid-construction would leave its connection and migrations running on.
   */
  onModuleInit(): void {
    const configured = new Set(this.providers.map((provider) => provider.id));
    checkDefaultModel(this.config.defaultModel, configured);
    checkFallbacks(this.config.fallbacks, configured);
  }

  /** Every available model, providers in registration order; a provider that cannot be reached is left out. */
  async listModels(): Promise<ModelInfo[]> {
    const lists = await Promise.all(this.providers.map((provider) => this.modelsOf(provider)));
    return lists.flatMap((models) => models ?? []);
  }

  /** Throws UnknownModelError unless the id names an enabled provider and, when it can tell, one of its models. */
  async resolve(modelId: string): Promise<{ provider: AiProvider; model: string }> {
    const slash = modelId.indexOf('/');
    const provider =
      slash > 0 ? this.providers.find((candidate) => candidate.id === modelId.slice(0, slash)) : undefined;
    const model = modelId.slice(slash + 1);
    if (!provider || !model) throw new UnknownModelError(modelId);
    // A provider that cannot list right now may still answer, and the call itself reports a real outage: its
    // names are checked against the last list it gave, so that made-up ones are refused (and never recorded in
    // usage or metrics) all the same. Only a provider that has never listed is taken at its word.
    const models = (await this.modelsOf(provider)) ?? this.lastKnown.get(provider.id);
    if (models && !models.some((candidate) => candidate.name === model)) throw new UnknownModelError(modelId);
    return { provider, model };
  }

  /** DEFAULT_MODEL when configured, else the first available model (echo/echo when nothing else is). */
  async defaultModelId(): Promise<string> {
    if (this.config.defaultModel) return this.config.defaultModel;
    const [first] = await this.listModels();
    return first?.id ?? 'echo/echo';
  }

  /** Roughly how many prompt tokens a conversation's history may take for this model. */
  contextBudgetTokens(modelId: string): number {
    const [provider, ...rest] = modelId.split('/');
    const name = rest.join('/');
    const known = BUDGETS.find(([pattern]) => pattern.test(name));
    return PROVIDER_BUDGETS[provider] ?? known?.[1] ?? DEFAULT_BUDGET_TOKENS;
  }

  private modelsOf(provider: AiProvider): Promise<ModelInfo[] | null> {
    const cached = this.cache.get(provider.id);
    if (cached && cached.expiresAt > Date.now()) return cached.models;
    // Concurrent callers share one in-flight request; it is trusted until it settles and its TTL starts.
    const entry: CachedList = { models: this.fetchModels(provider), expiresAt: Infinity };
    this.cache.set(provider.id, entry);
    void entry.models.then((models) => {
      entry.expiresAt = Date.now() + (models ? LIST_TTL_MS : FAILURE_TTL_MS);
    });
    return entry.models;
  }

  private async fetchModels(provider: AiProvider): Promise<ModelInfo[] | null> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${LIST_TIMEOUT_MS} ms`));
        controller.abort();
      }, LIST_TIMEOUT_MS);
    });
    try {
      const models = await Promise.race([provider.listModels(controller.signal), timeout]);
      this.lastKnown.set(provider.id, models);
      return models;
    } catch (error) {
      // Adapter errors are written to be safe to show; nothing else of the failure is logged.
      const reason = error instanceof Error ? error.message : 'unknown error';
      this.logger.warn(`models of provider "${provider.id}" are unavailable: ${reason}`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Fails the start when DEFAULT_MODEL names a provider that is not configured: every conversation that names no
 * model would be refused. Its model names are not checked here, since a provider may not be reachable yet.
 */
function checkDefaultModel(defaultModel: string | undefined, providers: Set<string>): void {
  if (!defaultModel) return;
  const provider = defaultModel.slice(0, defaultModel.indexOf('/'));
  if (!providers.has(provider)) {
    throw new Error(`DEFAULT_MODEL is ${defaultModel}, but provider "${provider}" is not configured`);
  }
}

/**
 * Fails the start when MODEL_FALLBACKS names a model of a provider that is not configured: such a fallback could
 * never answer, and would only be found out during an outage.
 */
function checkFallbacks(fallbacks: Map<string, string[]> | undefined, providers: Set<string>): void {
  for (const [from, to] of fallbacks ?? []) {
    for (const id of [from, ...to]) {
      const provider = id.slice(0, id.indexOf('/'));
      if (!providers.has(provider)) {
        throw new Error(`MODEL_FALLBACKS names ${id}, but provider "${provider}" is not configured`);
      }
    }
  }
}
