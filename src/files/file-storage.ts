import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Utf8TextCounter } from './utf8-text-counter';
import { filesConfig } from '../config/files.config';

/**
 * Temporary files older than this were left by a process that stopped mid-upload; younger ones may be another
 * process's upload in progress (uploads are bounded by HTTP_REQUEST_TIMEOUT_MS, at most an hour).
 */
const ABANDONED_AFTER_MS = 2 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The upload stream went past `limit` bytes; what was written is removed. */
export class StreamTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/**
 * An upload's bytes are gathered into writes of about this size. An upload holds at most WRITES_IN_FLIGHT of
 * them and the one filling in memory: about 1.5 MiB, whatever the file's size. Twice this was a few percent
 * faster in bench scenario 9, but 20 uploads at once then grew the server by 17-34 MiB, against 2-18 MiB.
 */
const WRITE_BATCH_BYTES = 512 * 1024;

/**
 * With one write at a time the upload stops being read while the disk catches up; with two, the next batch
 * fills while one is written. A 20 MiB upload took about a quarter less time than through a write stream
 * (bench scenario 9, in alternating runs).
 */
const WRITES_IN_FLIGHT = 2;

/**
 * The bytes of uploads on disk. Paths are made from ids only (a UUID the server chose, checked here again),
 * so no name a client sent can reach the file system. Uploads are written under tmp/ and renamed into place
 * once complete, so a half-written file never has a file's path.
 */
@Injectable()
export class FileStorage {
  constructor(@Inject(filesConfig.KEY) private readonly config: ConfigType<typeof filesConfig>) {}

  /** Removes what uploads cut short by a stopped process left under tmp/. */
  async sweepAbandoned(): Promise<void> {
    const tempDir = join(this.config.dir, 'tmp');
    const names = await readdir(tempDir).catch(() => [] as string[]);
    const before = Date.now() - ABANDONED_AFTER_MS;
    for (const name of names) {
      const path = join(tempDir, name);
      const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Infinity }));
      if (mtimeMs < before) await rm(path, { force: true });
    }
  }

  /**
   * Writes the stream to a new temporary file, at most `limit` bytes; returns its path and size, and the length
   * of its text when the bytes are UTF-8 text (null otherwise). Past `limit` it writes nothing more but reads on
   * up to `countUpTo` bytes, so that the StreamTooLongError says which limit the stream passed: `countUpTo` when it
   * is longer than that too, else `limit`.
   */
  async receive(
    stream: Readable,
    limit: number,
    countUpTo = limit,
  ): Promise<{ tempPath: string; size: number; textChars: number | null }> {
    const tempDir = join(this.config.dir, 'tmp');
    await mkdir(tempDir, { recursive: true });
    const tempPath = join(tempDir, `${randomUUID()}.part`);
    let size = 0;
    const text = new Utf8TextCounter();
    try {
      await writeNewFile(tempPath, stream, (chunk) => {
        size += chunk.length;
        if (size > Math.max(limit, countUpTo)) throw new StreamTooLongError(Math.max(limit, countUpTo));
        if (size > limit) return false;
        text.push(chunk);
        return true;
      });
      if (size > limit) throw new StreamTooLongError(limit);
    } catch (error) {
      await this.discard(tempPath);
      throw error;
    }
    return { tempPath, size, textChars: text.end() };
  }

  /** Moves a received file to where file `id`'s bytes are kept. */
  async keep(tempPath: string, id: string): Promise<void> {
    const path = this.bytesPath(id);
    await mkdir(join(path, '..'), { recursive: true });
    await rename(tempPath, path);
  }

  async discard(tempPath: string): Promise<void> {
    await rm(tempPath, { force: true });
  }

  /** Opened before anything is sent, so that missing bytes fail the request instead of cutting its answer. */
  async openBytes(id: string): Promise<ReadStream> {
    const handle = await open(this.bytesPath(id));
    return handle.createReadStream();
  }

  bytesPath(id: string): string {
    if (!UUID.test(id)) throw new Error('a file id must be a UUID');
    return join(this.config.dir, id.slice(0, 2), id);
  }

  /** The extracted text of a PDF or DOCX, kept beside its bytes. */
  textPath(id: string): string {
    return `${this.bytesPath(id)}.txt`;
  }

  async writeText(id: string, text: string): Promise<void> {
    const path = this.textPath(id);
    const temp = `${path}.${randomUUID()}.part`;
    await writeFile(temp, text, 'utf8');
    await rename(temp, path);
  }

  /** Removes a file's bytes and its text; nothing there is not an error. */
  async remove(id: string): Promise<void> {
    await Promise.all([rm(this.bytesPath(id), { force: true }), rm(this.textPath(id), { force: true })]);
  }

  /** The first `maxChars` characters (UTF-16 code units) of a UTF-8 file, reading no more of it than needed. */
  async readTextPrefix(path: string, maxChars: number): Promise<string> {
    if (maxChars <= 0) return '';
    const decoder = new StringDecoder('utf8');
    let text = '';
    for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
      text += decoder.write(chunk);
      if (text.length >= maxChars) break;
    }
    if (text.length < maxChars) text += decoder.end();
    let cut = text.slice(0, maxChars);
    // Never end on half of a surrogate pair.
    if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
    return cut;
  }
}

/**
 * Writes `chunks` to a new file at `path`, each batch at its own offset so that WRITES_IN_FLIGHT of them can be
 * under way at once. `inspect` sees every chunk before it is written: it keeps the chunk out of the file by
 * answering false, and stops the writing by throwing; the caller removes what was written then.
 */
async function writeNewFile(
  path: string,
  chunks: AsyncIterable<Buffer>,
  inspect: (chunk: Buffer) => boolean,
): Promise<void> {
  const handle = await open(path, 'wx');
  const writing = new Set<Promise<void>>();
  let failure: unknown;
  let position = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batchBytes === 0) return;
    const bytes = batchBytes;
    // Settles either way, so that a failed write is never an unhandled rejection; `failure` carries it.
    const write: Promise<void> = handle.writev(batch, position).then(
      ({ bytesWritten }) => {
        writing.delete(write);
        if (bytesWritten !== bytes) failure ??= shortWrite(bytesWritten, bytes);
      },
      (error: unknown) => {
        writing.delete(write);
        failure ??= error;
      },
    );
    writing.add(write);
    position += bytes;
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const chunk of chunks) {
      if (inspect(chunk)) {
        batch.push(chunk);
        batchBytes += chunk.length;
        // The disk is never left idle: a batch goes as soon as nothing else is being written.
        if (batchBytes >= WRITE_BATCH_BYTES || writing.size === 0) flush();
        while (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing);
      }
      if (failure) throw failure;
    }
    flush();
    await Promise.all(writing);
    if (failure) throw failure;
  } catch (error) {
    await Promise.all(writing);
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/** A write the disk cut short (it was full): a server error, as the disk's own failures are. */
function shortWrite(written: number, asked: number): Error {
  return Object.assign(new Error(`the disk took ${written} of ${asked} bytes`), { syscall: 'writev' });
}
