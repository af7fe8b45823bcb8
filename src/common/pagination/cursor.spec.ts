import { InvalidCursorError } from '../errors/app.error';
import { decodeCursor, encodeCursor, toPage } from './cursor';

const ID = '3f1c2a9e-8b7d-4c1e-9f00-1a2b3c4d5e6f';
const encodeRaw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursor', () => {
  describe('encodeCursor / decodeCursor', () => {
    it('round-trips a position, to the millisecond', () => {
      const at = new Date('2025-11-23T10:20:30.456Z');
      const decoded = decodeCursor(encodeCursor({ at, id: ID }));
      expect(decoded).toEqual({ at, id: ID });
      expect(decoded.at.getTime()).toBe(at.getTime());
    });

    it('produces a URL-safe string', () => {
      expect(encodeCursor({ at: new Date(), id: ID })).toMatch(/^[A-Za-z0-9_-]+$/);
    });

    it.each([
      ['an empty string', ''],
      ['random text', 'not-a-cursor'],
      ['JSON that is not a pair', encodeRaw({ at: '2025-01-01T00:00:00Z', id: ID })],
      ['a pair with a bad date', encodeRaw(['yesterday', ID])],
      ['a pair with a non-UUID id', encodeRaw(['2025-01-01T00:00:00.000Z', "1' OR '1'='1"])],
      ['a pair with non-string members', encodeRaw([1, 2])],
      ['three members', encodeRaw(['2025-01-01T00:00:00.000Z', ID, 'extra'])],
      ['a time past the year 9999', encodeRaw(['+275760-09-13T00:00:00.000Z', ID])],
      ['a time before the year 1', encodeRaw(['-000001-01-01T00:00:00.000Z', ID])],
    ])('refuses %s with InvalidCursorError', (_case, value) => {
      expect(() => decodeCursor(value)).toThrow(InvalidCursorError);
    });

    it('maps to the INVALID_CURSOR code', () => {
      expect(() => decodeCursor('nope')).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    });
  });

  describe('toPage', () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
    }));

    it('returns `limit` items and a cursor at the last of them when an extra row shows more follow', () => {
      const page = toPage(rows.slice(0, 3), 2, (row) => row.createdAt);

      expect(page.items).toEqual(rows.slice(0, 2));
      expect(page.nextCursor).not.toBeNull();
      expect(decodeCursor(page.nextCursor!)).toEqual({ at: rows[1].createdAt, id: rows[1].id });
    });

    it('returns a null cursor on the last page', () => {
      expect(toPage(rows.slice(0, 2), 2, (row) => row.createdAt)).toEqual({
        items: rows.slice(0, 2),
        nextCursor: null,
      });
      expect(toPage(rows.slice(0, 1), 2, (row) => row.createdAt).nextCursor).toBeNull();
    });

    it('handles an empty list', () => {
      expect(toPage([], 20, (row: (typeof rows)[number]) => row.createdAt)).toEqual({ items: [], nextCursor: null });
    });
  });
});
