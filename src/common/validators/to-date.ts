import { Transform } from 'class-transformer';
import { isISO8601 } from 'class-validator';

/**
 * A well-formed ISO 8601 time as a Date, for `@IsDate()` to check; anything else stays as sent and fails it.
 * Some ISO 8601 forms (basic `20240101T000000Z`, week `2024-W01`) are well-formed but not ones JavaScript reads:
 * they become an invalid Date, which `@IsDate()` refuses too, so none reaches a query as `NaN`.
 */
export const ToDate = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value,
  );
