import { Transform } from 'class-transformer';

/** Text without its leading and trailing white space, before the checks: a blank value is then empty. */
export const Trimmed = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
