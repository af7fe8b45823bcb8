import { addressGroup } from './address-group';

/**
 * The per-client request budget (RATE_LIMIT_PER_MINUTE): one throttler, counted per user once signed in and
 * per IP before. Shared by the rate-limit guard and by authentication, which counts the requests it refuses.
 */
export const REQUEST_BUDGET = { name: 'default', ttlMs: 60_000 } as const;

/** Who a request is counted against: its user once known, else its address (its /64 for IPv6, see addressGroup). */
export function clientTracker(userId: string | undefined, ip: string): string {
  return userId ? `user:${userId}` : `ip:${addressGroup(ip)}`;
}

/** One key per client for the whole API (the throttler's own default is a key per route). */
export function requestBudgetKey(tracker: string): string {
  return `${REQUEST_BUDGET.name}:${tracker}`;
}
