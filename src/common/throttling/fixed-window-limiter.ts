interface Window {
  count: number;
  resetAt: number;
}

/**
 * Counts events per key (a client IP, say) in fixed windows, in this process's memory, and tells when a key has
 * used up its allowance for the current window. A counter per key costs the same at any limit, and at most
 * `maxKeys` keys are kept (the one counted longest ago is forgotten first), so a crowd of addresses cannot
 * grow it without bound.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may act again: 0 while it has allowance left in this window. */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const window = this.current(key, now);
    if (!window || window.count < this.limit) return 0;
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  /** Counts one event of `key`; answers how many it has made in this window, this one included. */
  hit(key: string, now = Date.now()): number {
    const window = this.current(key, now) ?? { count: 0, resetAt: now + this.windowMs };
    window.count += 1;
    // Maps iterate in insertion order: re-inserting keeps the key counted longest ago first, to be dropped first.
    this.windows.delete(key);
    this.windows.set(key, window);
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
    return window.count;
  }

  /** Takes one event of `key` back: it turned out not to count (a sign-in that succeeded, say). */
  undo(key: string, now = Date.now()): void {
    const window = this.current(key, now);
    if (window && window.count > 0) window.count -= 1;
  }

  /** Forgets every event of `key`. */
  clear(key: string): void {
    this.windows.delete(key);
  }

  private current(key: string, now: number): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.resetAt <= now) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }
}
