import { isAscii, isUtf8 } from 'node:buffer';

/**
 * Follows a file's bytes as they arrive: whether they are well-formed UTF-8 without NUL bytes, and how long that
 * text is in UTF-16 code units (what JavaScript's `length`, and so the document budget, counts). Done while the
 * upload is written, so that a large text file is not read a second time; native checks do the work, and only
 * pieces that are not plain ASCII are counted byte by byte.
 */
export class Utf8TextCounter {
  /** The start of a character cut by a chunk's end, kept for the next chunk. */
  private carry: Buffer | null = null;
  private units = 0;
  private valid = true;

  push(chunk: Buffer): void {
    if (!this.valid) return;
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = completeLength(bytes);
    const whole = bytes.subarray(0, cut);
    this.carry = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : null;
    if (whole.includes(0) || !isUtf8(whole)) {
      this.valid = false;
      return;
    }
    this.units += isAscii(whole) ? whole.length : utf16Units(whole);
  }

  /** The text's length, or null when the bytes were not such text (or ended inside a character). */
  end(): number | null {
    return this.valid && !this.carry ? this.units : null;
  }
}

/** How many leading bytes of `bytes` end on a character boundary: all but an unfinished last character. */
function completeLength(bytes: Buffer): number {
  // A character is at most 4 bytes: its lead byte is among the last 4.
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue;
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return size > back ? bytes.length - back : bytes.length;
  }
  // Only continuation bytes at the end: not UTF-8, which the check then says.
  return bytes.length;
}

/** UTF-16 code units of well-formed UTF-8: one per character, two for those of 4 bytes (outside the BMP). */
function utf16Units(bytes: Buffer): number {
  let units = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
  }
  return units;
}
