import { Module } from '@nestjs/common';
import { LifecycleModule } from '../common/lifecycle/lifecycle.module';
import { MetricsRegistryModule } from '../common/metrics/metrics-registry.module';
import { RedisModule } from '../common/redis/redis.module';
import { RedisService } from '../common/redis/redis.service';
import { aiConfig, type AiConfig } from '../config/ai.config';
import { AI_PROVIDERS, type AiProvider } from './ai-provider';
import { AiController } from './ai.controller';
import { ModelCallRunner } from './model-call-runner.service';
import { ModelRegistry } from './model-registry.service';
import { MemoryProviderCooldowns, ProviderCooldowns, RedisProviderCooldowns } from './provider-cooldowns';
import { AnthropicProvider } from './providers/anthropic.provider';
import { EchoProvider } from './providers/echo.provider';
import { OllamaProvider } from './providers/ollama.provider';
import { OpenAiProvider } from './providers/openai.provider';

/**
 * The configured providers, in the order their models are listed: remote ones first, so that without
 * DEFAULT_MODEL the first available model is a real one; echo last and always.
 */
export function createProviders(config: AiConfig): AiProvider[] {
  const { timeoutMs } = config;
  return [
    ...(config.openai ? [new OpenAiProvider({ ...config.openai, timeoutMs })] : []),
    ...(config.anthropic ? [new AnthropicProvider({ ...config.anthropic, timeoutMs })] : []),
    ...(config.ollama ? [new OllamaProvider({ ...config.ollama, timeoutMs })] : []),
    new EchoProvider(),
  ];
}

@Module({
  imports: [LifecycleModule, MetricsRegistryModule, RedisModule],
  controllers: [AiController],
  providers: [
    { provide: AI_PROVIDERS, inject: [aiConfig.KEY], useFactory: createProviders },
    {
      // In Redis when REDIS_URL is set, so that a provider paused by one process is skipped by every one.
      provide: ProviderCooldowns,
      inject: [aiConfig.KEY, RedisService],
      useFactory: (config: AiConfig, redis: RedisService) => {
        const options = { failures: config.cooldownFailures, pauseMs: config.cooldownMs };
        return redis.enabled ? new RedisProviderCooldowns(redis, options) : new MemoryProviderCooldowns(options);
      },
    },
    ModelRegistry,
    ModelCallRunner,
  ],
  exports: [ModelRegistry, ModelCallRunner],
})
export class AiModule {}
