import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import type { RedisService } from '../redis/redis.service';

/**
 * KEYS[1]: a hash { hits, reset, blocked }. ARGV: now, ttl, limit, block (milliseconds). Answers { hits, reset,
 * blocked }. The rules of WindowThrottlerStorage, in one step: processes counting the same client cannot both
 * let through a request that only one of them should. Numbers are written with %d, since Redis may print a Lua
 * number in exponent form, which PEXPIRE refuses.
 */
const INCREMENT = `
local now, ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'hits', 'reset', 'blocked')
local hits, reset, blocked = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
if not hits or not reset or not blocked or (reset <= now and blocked <= now) then
  hits, reset, blocked = 0, now + ttl, 0
end
if blocked <= now then
  hits = hits + 1
  if hits > limit then blocked = now + block end
  redis.call('HSET', KEYS[1], 'hits', hits, 'reset', string.format('%d', reset), 'blocked', string.format('%d', blocked))
  redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(reset, blocked) - now))
end
return { hits, string.format('%d', reset), string.format('%d', blocked) }
`;

type ThrottlerClient = Redis & {
  colloquyThrottle(
    key: string,
    now: number,
    ttl: number,
    limit: number,
    block: number,
  ): Promise<[number, string, string]>;
};

/**
 * The request budget (RATE_LIMIT_PER_MINUTE) in Redis (REDIS_URL), shared by every process: fixed windows of
 * `ttl`, and a client over the limit is refused until `blockDuration` has passed, as with WindowThrottlerStorage.
 * Times are this process's clock; every process's clock is taken to agree within a second or so.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly client: ThrottlerClient;

  constructor(private readonly redis: RedisService) {
    redis.client.defineCommand('colloquyThrottle', { numberOfKeys: 1, lua: INCREMENT });
    this.client = redis.client as ThrottlerClient;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<{
    totalHits: number;
    timeToExpire: number;
    isBlocked: boolean;
    timeToBlockExpire: number;
  }> {
    const now = Date.now();
    const [hits, reset, blocked] = await this.client.colloquyThrottle(
      this.redis.key('throttle', key),
      now,
      ttl,
      limit,
      blockDuration > 0 ? blockDuration : ttl,
    );
    const seconds = (until: number) => Math.max(0, Math.ceil((until - now) / 1000));
    const isBlocked = Number(blocked) > now;
    return {
      totalHits: hits,
      timeToExpire: seconds(Number(reset)),
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds(Number(blocked)) : 0,
    };
  }
}
