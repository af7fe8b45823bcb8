import { InvalidCursorError } from '../errors/app.error';
import { isoTime } from '../dto/iso-time';

/** A position in a list ordered by (time, id): opaque to clients, checked when it comes back. */
export interface Cursor {
  at: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An opaque token for a list position made of strings; `decodeTuple` reads it back. */
export function encodeTuple(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The `length` strings a token from `encodeTuple` holds; anything else is the client's mistake (400). */
export function decodeTuple(value: string, length: number): string[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    // No NUL: the values go to queries, and PostgreSQL cannot hold NUL in text (the door checks only what it sees).
    const text = (part: unknown) => typeof part === 'string' && !part.includes('\u0000');
    if (Array.isArray(parsed) && parsed.length === length && parsed.every(text)) {
      return parsed as string[];
    }
  } catch {
    // fall through: any undecodable cursor is the client's mistake
  }
  throw new InvalidCursorError();
}

export function encodeCursor(cursor: Cursor): string {
  return encodeTuple([isoTime(cursor.at), cursor.id]);
}

export function decodeCursor(value: string): Cursor {
  const [time, id] = decodeTuple(value, 2);
  const at = new Date(time);
  // Years past 9999 (JavaScript dates reach 275760) are outside PostgreSQL's timestamps and SQLite's text times.
  const year = at.getUTCFullYear();
  if (Number.isNaN(year) || year < 1 || year > 9999 || !UUID.test(id)) throw new InvalidCursorError();
  return { at, id };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Builds a page from `limit + 1` rows fetched in list order: the extra row only tells whether more follow.
 */
export function toPage<T extends { id: string }>(rows: T[], limit: number, at: (row: T) => Date): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor({ at: at(last), id: last.id }) : null,
  };
}
