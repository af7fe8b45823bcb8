import { FixedWindowLimiter } from './fixed-window-limiter';
import { SlidingWindowLimiter } from './sliding-window-limiter';
import { WindowCounter, WindowCounterOptions, WindowCounters } from './window-counters';

/** Counters in this process's memory: one process needs no Redis. */
export class MemoryWindowCounters extends WindowCounters {
  create({ limit, windowMs, sliding, maxKeys }: WindowCounterOptions): WindowCounter {
    return new MemoryWindowCounter(
      sliding ? new SlidingWindowLimiter(limit, windowMs, maxKeys) : new FixedWindowLimiter(limit, windowMs, maxKeys),
    );
  }
}

/** What FixedWindowLimiter and SlidingWindowLimiter both do. */
interface Limiter {
  retryAfterSeconds(key: string, now: number): number;
  hit(key: string, now: number): number;
  undo(key: string, now: number): void;
  clear(key: string): void;
}

/**
 * Answers with promises already settled: the limiters work synchronously, so a check and the count that follows
 * it run with nothing in between, as they did before counters could live in Redis.
 */
class MemoryWindowCounter implements WindowCounter {
  constructor(private readonly limiter: Limiter) {}

  retryAfterSeconds(key: string, now = Date.now()): Promise<number> {
    return Promise.resolve(this.limiter.retryAfterSeconds(key, now));
  }

  take(key: string, now = Date.now()): Promise<number> {
    const retryAfter = this.limiter.retryAfterSeconds(key, now);
    if (retryAfter === 0) this.limiter.hit(key, now);
    return Promise.resolve(retryAfter);
  }

  hit(key: string, now = Date.now()): Promise<void> {
    this.limiter.hit(key, now);
    return Promise.resolve();
  }

  undo(key: string, now = Date.now()): Promise<void> {
    this.limiter.undo(key, now);
    return Promise.resolve();
  }

  clear(key: string): Promise<void> {
    this.limiter.clear(key);
    return Promise.resolve();
  }
}
