import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { AiModule } from './ai/ai.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { ConversationsModule } from './conversations/conversations.module';
import { appConfig } from './config/app.config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { LifecycleModule } from './common/lifecycle/lifecycle.module';
import { FilesModule } from './files/files.module';
import { HealthModule } from './health/health.module';
import { RedisModule } from './common/redis/redis.module';
import { RedisService } from './common/redis/redis.service';
import { RedisThrottlerStorage } from './common/throttling/redis-throttler.storage';
import { REQUEST_BUDGET } from './common/throttling/request-budget';
import { WindowThrottlerStorage } from './common/throttling/window-throttler.storage';
import { MetricsModule } from './metrics/metrics.module';
import { AuditModule } from './audit/audit.module';
import { OpenAiCompatModule } from './openai-compat/openai-compat.module';
import { QuotasModule } from './quotas/quotas.module';
import { LoggingModule } from './common/logging/logging.module';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [appConfig.KEY, RedisService],
      useFactory: (config: ConfigType<typeof appConfig>, redis: RedisService) => ({
        throttlers: [{ name: REQUEST_BUDGET.name, ttl: REQUEST_BUDGET.ttlMs, limit: config.rateLimitPerMinute }],
        // The library's default names its exception class.
        errorMessage: `too many requests: this client may make ${config.rateLimitPerMinute} a minute; see Retry-After`,
        // With several processes the budget is shared through Redis, or a client would get one per process.
        storage: redis.enabled ? new RedisThrottlerStorage(redis) : new WindowThrottlerStorage(),
      }),
    }),
    DatabaseModule.forRoot({ runMigrations: true }),
    LifecycleModule,
    UsersModule,
    AuthModule,
    HealthModule,
    AiModule,
    FilesModule,
    ConversationsModule,
    ApiKeysModule,
    UsageModule,
    QuotasModule,
    OpenAiCompatModule,
    MetricsModule,
    AuditModule,
  ],
})
export class AppModule {}
