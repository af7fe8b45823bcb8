export interface WindowCounterOptions {
  /** Names the counter, so that counters of different things never share a key. */
  name: string;
  /** Events a key may make in a window. */
  limit: number;
  windowMs: number;
  /**
   * Fixed windows (the default) start with a key's first event and end `windowMs` later, all at once. A sliding
   * window lets an event count for exactly `windowMs`: a key refused now may act again once its oldest event
   * has left the window, instead of when the whole window ends.
   */
  sliding?: boolean;
  /** Keys kept in memory at most (the one counted longest ago is forgotten first); Redis expires keys instead. */
  maxKeys?: number;
}

/**
 * Counts events per key (a client IP, an email and IP, a user) and tells when a key has used up its allowance.
 * `now` is for tests; every process's clock is taken to agree within a second or so.
 */
export interface WindowCounter {
  /** Seconds until `key` may act again: 0 while it has allowance left. */
  retryAfterSeconds(key: string, now?: number): Promise<number>;
  /**
   * Counts one event of `key` if it has allowance left, answering 0; otherwise counts nothing and answers the
   * seconds to wait. One step, so that requests arriving together (at any process) cannot all pass the check
   * before any of them is counted.
   */
  take(key: string, now?: number): Promise<number>;
  /** Counts one event of `key` whatever its allowance. */
  hit(key: string, now?: number): Promise<void>;
  /** Takes back the latest event of `key`: it turned out not to count (a sign-in that succeeded, say). */
  undo(key: string, now?: number): Promise<void>;
  /** Forgets every event of `key`. */
  clear(key: string): Promise<void>;
}

/**
 * Makes counters: in this process's memory, or, with REDIS_URL, in Redis, so that every process counts against
 * the same allowance (see WindowCountersModule). Services create their counters once, in their constructor.
 */
export abstract class WindowCounters {
  abstract create(options: WindowCounterOptions): WindowCounter;
}
