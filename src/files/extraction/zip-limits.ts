/** Bounds on what a DOCX (a zip) may declare before any of it is inflated. */
export interface ZipLimits {
  maxEntries: number;
  /** Uncompressed bytes of all entries together. */
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio of an entry past 1 MiB; text compresses ~10:1, bombs ~1000:1. */
  maxRatio: number;
}

const EOCD = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const RATIO_FLOOR_BYTES = 1024 * 1024;

/**
 * Reads a zip's central directory and throws, with a reason fit for the file's `error`, when it declares more
 * than `limits` allow. Declared sizes can lie; the worker's memory limit is what holds if they do.
 */
export function checkZipDeclarations(zip: Buffer, limits: ZipLimits): void {
  const end = findEndOfCentralDirectory(zip);
  const entries = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  const directoryOffset = zip.readUInt32LE(end + 16);
  if (entries === 0xffff || directoryOffset === 0xffffffff) throw new Error('the document is a ZIP64 archive');
  if (entries > limits.maxEntries) throw new Error(`the document holds more than ${limits.maxEntries} parts`);
  if (directoryOffset + directorySize > end) throw new Error('the document is not a well-formed zip archive');
  let at = directoryOffset;
  let total = 0;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL_HEADER) {
      throw new Error('the document is not a well-formed zip archive');
    }
    const compressed = zip.readUInt32LE(at + 20);
    const uncompressed = zip.readUInt32LE(at + 24);
    total += uncompressed;
    if (total > limits.maxTotalBytes) {
      throw new Error(`the document would unpack to more than ${limits.maxTotalBytes} bytes`);
    }
    if (uncompressed > RATIO_FLOOR_BYTES && uncompressed > compressed * limits.maxRatio) {
      throw new Error(`the document is compressed more than ${limits.maxRatio}:1, as zip bombs are`);
    }
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
}

function findEndOfCentralDirectory(zip: Buffer): number {
  const earliest = Math.max(0, zip.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = zip.length - EOCD_SIZE; at >= earliest; at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw new Error('the document is not a well-formed zip archive');
}
