import type Redis from 'ioredis';
import type { RedisService } from '../common/redis/redis.service';

/** When a provider is paused: after `failures` failed calls in a row, for `pauseMs` (or longer, see `failed`). */
export interface CooldownOptions {
  failures: number;
  pauseMs: number;
}

/**
 * Which providers are paused after failing call after call, so that requests go to a fallback (or fail at once)
 * instead of waiting on a vendor that is down. Failed calls count in a row: a success starts the count again,
 * and a failure older than the last pause (or than `pauseMs`) is forgotten. A pause's deadline only ever moves
 * later: a failure while paused (a call that had started before) extends it, and a shorter pause never
 * shortens a longer one. In memory, or with REDIS_URL in Redis, shared by every process. `now` is for tests.
 */
export abstract class ProviderCooldowns {
  /** Milliseconds until `provider` may be called again; 0 when it is not paused. */
  abstract remainingMs(provider: string, now?: number): Promise<number>;
  /**
   * Counts a failed call of `provider`. Once `failures` calls in a row have failed it is paused for at least
   * `pauseMs` (longer when the vendor asked for it); true when this failure started a pause.
   */
  abstract failed(provider: string, pauseMs?: number, now?: number): Promise<boolean>;
  /** A call of `provider` answered: the failures so far no longer count. */
  abstract succeeded(provider: string): Promise<void>;
}

interface CooldownState {
  failures: number;
  /** Epoch ms the pause lasts until; 0 for none. */
  until: number;
  /** When the failures are forgotten. */
  expiresAt: number;
}

/** Cool-downs in this process's memory: one process needs no Redis. */
export class MemoryProviderCooldowns extends ProviderCooldowns {
  private readonly states = new Map<string, CooldownState>();

  constructor(private readonly options: CooldownOptions) {
    super();
  }

  remainingMs(provider: string, now = Date.now()): Promise<number> {
    const state = this.current(provider, now);
    return Promise.resolve(state ? Math.max(0, state.until - now) : 0);
  }

  failed(provider: string, pauseMs = this.options.pauseMs, now = Date.now()): Promise<boolean> {
    const state = this.current(provider, now) ?? { failures: 0, until: 0, expiresAt: 0 };
    state.failures += 1;
    let started = false;
    if (state.failures >= this.options.failures) {
      started = state.until <= now;
      state.until = Math.max(state.until, now + Math.max(pauseMs, this.options.pauseMs));
    }
    state.expiresAt = now + Math.max(state.until - now, this.options.pauseMs);
    this.states.set(provider, state);
    return Promise.resolve(started);
  }

  succeeded(provider: string): Promise<void> {
    const state = this.states.get(provider);
    if (state) state.failures = 0;
    return Promise.resolve();
  }

  private current(provider: string, now: number): CooldownState | undefined {
    const state = this.states.get(provider);
    if (state && state.expiresAt <= now) {
      this.states.delete(provider);
      return undefined;
    }
    return state;
  }
}

/**
 * KEYS[1]: a hash { failures, deadline }. ARGV: now, pauseMs, failures that pause. Counts and pauses in one step, so
 * that processes failing at once neither lose a count nor shorten each other's pause. Answers 1 when this
 * failure started a pause. The key lives as long as the pause, or `pauseMs` at least, so old failures lapse.
 */
const FAILED = `
local now, pause, threshold, base = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local deadline = tonumber(redis.call('HGET', KEYS[1], 'deadline') or '0') or 0
local started = 0
if failures >= threshold then
  if deadline <= now then started = 1 end
  if now + pause > deadline then
    deadline = now + pause
    redis.call('HSET', KEYS[1], 'deadline', string.format('%d', deadline))
  end
end
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(deadline - now, base)))
return started
`;

/** KEYS[1]: a hash { failures, deadline }. Keeps the pause, forgets the failures. */
const SUCCEEDED = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'failures', 0) end
return 0
`;

interface CooldownCommands {
  colloquyCooldownFailed(key: string, now: number, pauseMs: number, failures: number, baseMs: number): Promise<number>;
  colloquyCooldownSucceeded(key: string): Promise<number>;
}

/** Cool-downs in Redis (REDIS_URL): a provider paused by one process is skipped by all of them. */
export class RedisProviderCooldowns extends ProviderCooldowns {
  private readonly client: Redis & CooldownCommands;

  constructor(
    private readonly redis: RedisService,
    private readonly options: CooldownOptions,
  ) {
    super();
    const client = redis.client;
    client.defineCommand('colloquyCooldownFailed', { numberOfKeys: 1, lua: FAILED });
    client.defineCommand('colloquyCooldownSucceeded', { numberOfKeys: 1, lua: SUCCEEDED });
    this.client = client as Redis & CooldownCommands;
  }

  async remainingMs(provider: string, now = Date.now()): Promise<number> {
    const until = Number((await this.client.hget(this.key(provider), 'deadline')) ?? 0);
    return Math.max(0, until - now);
  }

  async failed(provider: string, pauseMs = this.options.pauseMs, now = Date.now()): Promise<boolean> {
    const { failures, pauseMs: base } = this.options;
    const pause = Math.max(pauseMs, base);
    return (await this.client.colloquyCooldownFailed(this.key(provider), now, pause, failures, base)) === 1;
  }

  async succeeded(provider: string): Promise<void> {
    await this.client.colloquyCooldownSucceeded(this.key(provider));
  }

  private key(provider: string): string {
    return this.redis.key('cooldown', provider);
  }
}
