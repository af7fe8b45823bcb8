import { Utf8TextCounter } from './utf8-text-counter';

/** The counter's answer for `bytes` cut into pieces of `size` bytes. */
function countInPieces(bytes: Buffer, size: number): number | null {
  const counter = new Utf8TextCounter();
  for (let at = 0; at < bytes.length; at += size) counter.push(bytes.subarray(at, at + size));
  return counter.end();
}

describe('Utf8TextCounter', () => {
  const text = 'Plain words, accents é, a euro €, CJK 漢字 and an emoji 😀 outside the BMP.\n';

  it("counts UTF-16 code units as JavaScript's length does, wherever the chunks cut a character", () => {
    const bytes = Buffer.from(text.repeat(50));
    for (const size of [1, 2, 3, 5, 7, 64, 4096]) expect(countInPieces(bytes, size)).toBe(text.length * 50);
  });

  it('counts ASCII by its length, a byte-order mark as one unit, and empty input as zero', () => {
    expect(countInPieces(Buffer.from('just ascii'), 4)).toBe(10);
    expect(countInPieces(Buffer.from('\ufeffhello'), 2)).toBe(6);
    expect(new Utf8TextCounter().end()).toBe(0);
  });

  it('refuses NUL bytes, bytes that are not UTF-8, and text cut inside a character', () => {
    expect(countInPieces(Buffer.from('a\u0000b'), 2)).toBeNull();
    expect(countInPieces(Buffer.from([0x61, 0xff, 0x62]), 1)).toBeNull();
    expect(countInPieces(Buffer.from([0xc3, 0x28]), 1)).toBeNull();
    expect(countInPieces(Buffer.from('€').subarray(0, 2), 1)).toBeNull();
    expect(countInPieces(Buffer.from([0x80, 0x80]), 4)).toBeNull();
  });

  it('refuses an overlong encoding and a UTF-16 surrogate written as UTF-8', () => {
    expect(countInPieces(Buffer.from([0xc0, 0xaf]), 1)).toBeNull();
    expect(countInPieces(Buffer.from([0xed, 0xa0, 0x80]), 2)).toBeNull();
  });
});
