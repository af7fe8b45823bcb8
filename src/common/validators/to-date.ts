import { Transform } from 'class-transformer';
import { isISO8601 } from 'class-validator';

const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/**
 * A well-formed ISO 8601 time as a Date, for `@IsDate()` to check; anything else stays as sent and fails it.
 * Some ISO 8601 forms (basic `20240101T000000Z`, week `2024-W01`) are well-formed but not ones JavaScript reads:
 * they become an invalid Date, which `@IsDate()` refuses too, so none reaches a query as `NaN`.
 */
export const ToDate = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => toDate(value));

/**
 * As ToDate, for the end of a range that includes it: a day without a time (`2026-12-03`) is that day's last
 * millisecond, so that the day is in the range, as with the usage routes' days. A time is kept as sent.
 */
export const ToRangeEnd = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => {
    const date = toDate(value);
    return date instanceof Date && typeof value === 'string' && DAY_ONLY.test(value)
      ? new Date(date.getTime() + DAY_MS - 1)
      : date;
  });

function toDate(value: unknown): unknown {
  return typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value;
}
