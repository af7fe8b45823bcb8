/**
 * Counts events per key in a sliding window, in this process's memory: an event counts for exactly `windowMs`
 * after it happened, so a key refused now may act again as soon as its oldest event leaves the window. Keeps a
 * time per event, and at most `maxKeys` keys (the one counted longest ago is forgotten first), so a crowd of
 * addresses cannot grow it without bound.
 */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may act again: 0 while it has fewer than `limit` events in the window. */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const recent = this.recent(key, now);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000));
  }

  /** Counts one event of `key`; answers how many it has in the window, this one included. */
  hit(key: string, now = Date.now()): number {
    const recent = this.recent(key, now);
    recent.push(now);
    // Maps iterate in insertion order: re-inserting keeps the key counted longest ago first, to be dropped first.
    this.events.delete(key);
    this.events.set(key, recent);
    if (this.events.size > this.maxKeys) this.events.delete(this.events.keys().next().value!);
    return recent.length;
  }

  /** Takes back the latest event of `key`: it turned out not to count. */
  undo(key: string): void {
    this.events.get(key)?.pop();
  }

  /** Forgets every event of `key`. */
  clear(key: string): void {
    this.events.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const times = this.events.get(key);
    if (!times) return [];
    const recent = times.filter((time) => now - time < this.windowMs);
    if (recent.length === 0) this.events.delete(key);
    return recent;
  }
}
