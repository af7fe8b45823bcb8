import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { RedisService } from '../redis/redis.service';
import { WindowCounter, WindowCounterOptions, WindowCounters } from './window-counters';

// Each script checks and counts in one step, so that processes counting the same key cannot both pass a check
// that only one of them should. Times are the callers' (milliseconds); Redis expires a key once its window has
// passed, so nothing piles up. Numbers are written with %d: Redis may print a Lua number in exponent form,
// which PEXPIRE refuses.

/** KEYS[1]: a hash { count, reset }. ARGV: now, windowMs, limit (-1: count whatever the allowance). */
const FIXED_TAKE = `
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'count', 'reset')
local count, reset = tonumber(state[1]), tonumber(state[2])
if not count or not reset or reset <= now then
  count, reset = 0, now + window
end
if limit >= 0 and count >= limit then
  return reset - now
end
redis.call('HSET', KEYS[1], 'count', count + 1, 'reset', string.format('%d', reset))
redis.call('PEXPIRE', KEYS[1], string.format('%d', reset - now))
return 0
`;

/** KEYS[1]: a hash { count, reset }. ARGV: now. */
const FIXED_UNDO = `
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'count', 'reset')
local count, reset = tonumber(state[1]), tonumber(state[2])
if count and reset and count > 0 and reset > now then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
`;

/** KEYS[1]: a sorted set of events scored by time. ARGV: now, windowMs, limit (-1: count whatever), member. */
const SLIDING_TAKE = `
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
if limit >= 0 and redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] then return tonumber(oldest[2]) + window - now end
end
redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[4])
redis.call('PEXPIRE', KEYS[1], string.format('%d', window))
return 0
`;

/** KEYS[1]: a sorted set of events scored by time. ARGV: now, windowMs, limit. Reads only. */
const SLIDING_CHECK = `
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local after = '(' .. string.format('%d', now - window)
if redis.call('ZCOUNT', KEYS[1], after, '+inf') < limit then return 0 end
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], after, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if not oldest[2] then return 0 end
return tonumber(oldest[2]) + window - now
`;

interface CounterCommands {
  colloquyFixedTake(key: string, now: number, windowMs: number, limit: number): Promise<number>;
  colloquyFixedUndo(key: string, now: number): Promise<number>;
  colloquySlidingTake(key: string, now: number, windowMs: number, limit: number, member: string): Promise<number>;
  colloquySlidingCheck(key: string, now: number, windowMs: number, limit: number): Promise<number>;
}
type CounterClient = Redis & CounterCommands;

const seconds = (ms: number) => (ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0);

/** Counters in Redis (REDIS_URL), shared by every process. */
export class RedisWindowCounters extends WindowCounters {
  private readonly client: CounterClient;

  constructor(private readonly redis: RedisService) {
    super();
    const client = redis.client;
    client.defineCommand('colloquyFixedTake', { numberOfKeys: 1, lua: FIXED_TAKE });
    client.defineCommand('colloquyFixedUndo', { numberOfKeys: 1, lua: FIXED_UNDO });
    client.defineCommand('colloquySlidingTake', { numberOfKeys: 1, lua: SLIDING_TAKE });
    client.defineCommand('colloquySlidingCheck', { numberOfKeys: 1, lua: SLIDING_CHECK, readOnly: true });
    this.client = client as CounterClient;
  }

  create({ name, limit, windowMs, sliding }: WindowCounterOptions): WindowCounter {
    const key = (of: string) => this.redis.key('counter', name, of);
    return sliding
      ? new RedisSlidingWindowCounter(this.client, key, limit, windowMs)
      : new RedisFixedWindowCounter(this.client, key, limit, windowMs);
  }
}

class RedisFixedWindowCounter implements WindowCounter {
  constructor(
    private readonly client: CounterClient,
    private readonly key: (of: string) => string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async retryAfterSeconds(key: string, now = Date.now()): Promise<number> {
    const [count, reset] = await this.client.hmget(this.key(key), 'count', 'reset');
    if (count === null || reset === null || Number(count) < this.limit) return 0;
    return seconds(Number(reset) - now);
  }

  async take(key: string, now = Date.now()): Promise<number> {
    return seconds(await this.client.colloquyFixedTake(this.key(key), now, this.windowMs, this.limit));
  }

  async hit(key: string, now = Date.now()): Promise<void> {
    await this.client.colloquyFixedTake(this.key(key), now, this.windowMs, -1);
  }

  async undo(key: string, now = Date.now()): Promise<void> {
    await this.client.colloquyFixedUndo(this.key(key), now);
  }

  async clear(key: string): Promise<void> {
    await this.client.del(this.key(key));
  }
}

class RedisSlidingWindowCounter implements WindowCounter {
  constructor(
    private readonly client: CounterClient,
    private readonly key: (of: string) => string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async retryAfterSeconds(key: string, now = Date.now()): Promise<number> {
    return seconds(await this.client.colloquySlidingCheck(this.key(key), now, this.windowMs, this.limit));
  }

  async take(key: string, now = Date.now()): Promise<number> {
    const ms = await this.client.colloquySlidingTake(this.key(key), now, this.windowMs, this.limit, randomUUID());
    return seconds(ms);
  }

  async hit(key: string, now = Date.now()): Promise<void> {
    await this.client.colloquySlidingTake(this.key(key), now, this.windowMs, -1, randomUUID());
  }

  /** Events carry their time, so the latest is the highest score. */
  async undo(key: string): Promise<void> {
    await this.client.zpopmax(this.key(key));
  }

  async clear(key: string): Promise<void> {
    await this.client.del(this.key(key));
  }
}
