import { Module } from '@nestjs/common';
import { RedisModule } from '../redis/redis.module';
import { RedisService } from '../redis/redis.service';
import { MemoryWindowCounters } from './memory-window-counters';
import { RedisWindowCounters } from './redis-window-counters';
import { WindowCounters } from './window-counters';

/** WindowCounters in Redis when REDIS_URL is set, so that every process counts against one allowance; else in memory. */
@Module({
  imports: [RedisModule],
  providers: [
    {
      provide: WindowCounters,
      inject: [RedisService],
      useFactory: (redis: RedisService) =>
        redis.enabled ? new RedisWindowCounters(redis) : new MemoryWindowCounters(),
    },
  ],
  exports: [WindowCounters],
})
export class WindowCountersModule {}
