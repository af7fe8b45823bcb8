/** The calendar period a quota counts over, in UTC. */
export type QuotaWindow = 'day' | 'month';

export const QUOTA_WINDOWS: readonly QuotaWindow[] = ['day', 'month'];

/** The current period's key (`2026-12-02` for a day, `2026-12` for a month): a counter row per policy, user and key. */
export function periodOf(window: QuotaWindow, now: Date): string {
  const iso = now.toISOString();
  return window === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** When the current period ends and a new one starts with nothing used: the next UTC midnight or month start. */
export function resetsAt(window: QuotaWindow, now: Date): Date {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return window === 'day'
    ? new Date(Date.UTC(year, month, now.getUTCDate() + 1))
    : new Date(Date.UTC(year, month + 1, 1));
}

/** Whole seconds until `at`, at least 1: the `Retry-After` of a refusal. */
export function secondsUntil(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

/**
 * A policy's model pattern as stored: none (null) for every model, however it was asked for (left out, or stars
 * only, `*`), so that there is one scope for every model, which a person's policy replaces the default's in.
 */
export function storedModelPattern(pattern: string | null | undefined): string | null {
  return pattern == null || /^\*+$/.test(pattern) ? null : pattern;
}

/**
 * Whether a policy's model pattern covers a model id: null covers every model; `*` stands for any run of
 * characters (`openai/*`, `echo/e*`); anything else is compared as is. Matched without a regular expression: a
 * pattern with many stars (`*a*a*a*`) would make one backtrack for minutes over a long model id, on every model call.
 */
export function modelMatches(pattern: string | null, modelId: string): boolean {
  if (pattern === null) return true;
  if (!pattern.includes('*')) return pattern === modelId;
  // The classic wildcard walk: on a mismatch, only the latest star takes one more character (linear in practice).
  let p = 0;
  let m = 0;
  let star = -1;
  let resume = 0;
  while (m < modelId.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = m;
    } else if (p < pattern.length && pattern[p] === modelId[m]) {
      p++;
      m++;
    } else if (star >= 0) {
      p = star + 1;
      m = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
