import { applyDecorators } from '@nestjs/common';
import { Matches } from 'class-validator';

/**
 * Control characters (a bell, a line break, the line and paragraph separators) and the bidirectional overrides that
 * can make a name read as another (U+202A-U+202E, U+2066-U+2069). Other invisible format characters stay allowed:
 * emoji sequences join with U+200D.
 */
const HIDDEN_CONTROLS = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/gu;
const WITHOUT_HIDDEN_CONTROLS = /^[^\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]*$/u;
/** Something a person can see: not only spaces and invisible format characters. */
const VISIBLE = /[^\s\p{Cf}]/u;

/**
 * Text a person is shown as (a display name): something visible, with no control characters or direction
 * overrides. Beside the length checks, which stay on the property for the OpenAPI document. `name` is what the
 * messages call it (the property's name by default).
 */
export const IsDisplayText = (name = '$property'): PropertyDecorator =>
  applyDecorators(
    Matches(VISIBLE, { message: `${name} must have a character that can be seen` }),
    Matches(WITHOUT_HIDDEN_CONTROLS, {
      message: `${name} must not contain control characters or direction overrides`,
    }),
  );

/**
 * A display name from the first of `candidates` (a name a provider gave, an email's local part) that has something
 * to see once control characters and direction overrides are taken out, cut to 100 characters (never within a
 * surrogate pair); "user" when none has.
 */
export function displayNameFrom(...candidates: (string | null | undefined)[]): string {
  for (const candidate of candidates) {
    const cleaned = [...(candidate ?? '').replace(HIDDEN_CONTROLS, '').trim()].slice(0, 100).join('').trim();
    if (VISIBLE.test(cleaned)) return cleaned;
  }
  return 'user';
}
