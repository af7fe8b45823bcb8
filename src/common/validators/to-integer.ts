import { Transform } from 'class-transformer';

/**
 * A query parameter's decimal digits as a number, for `@IsInt()` and its bounds to check. Anything else stays
 * text and fails `@IsInt()`: `Number()` would also take `0x10`, `1e1`, ` 5`, and nothing at all as 0.
 */
export const ToInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value,
  );
