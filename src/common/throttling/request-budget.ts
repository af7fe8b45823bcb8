/**
 * The per-client request budget (RATE_LIMIT_PER_MINUTE): one throttler, counted per user once signed in and
 * per IP before. Shared by the rate-limit guard and by authentication, which counts the requests it refuses.
 */
export const REQUEST_BUDGET = { name: 'default', ttlMs: 60_000 } as const;

/** Who a request is counted against: its user once known, else its IP. */
export function clientTracker(userId: string | undefined, ip: string): string {
  return userId ? `user:${userId}` : `ip:${ip}`;
}

/** One key per client for the whole API (the throttler's own default is a key per route). */
export function requestBudgetKey(tracker: string): string {
  return `${REQUEST_BUDGET.name}:${tracker}`;
}
