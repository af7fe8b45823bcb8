import { Transform } from 'class-transformer';

/**
 * A free-form JSON object (settings, a JSON Schema) kept exactly as parsed. class-transformer copies a plain object
 * key by key and skips every key named like a method of Object.prototype (`toString`, `valueOf`, `constructor`,
 * `hasOwnProperty`...), so a schema property of that name would vanish without a word. The parser has already
 * refused `__proto__` and `constructor.prototype`.
 */
export const AsSent = (): PropertyDecorator =>
  Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key]);
