import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FilesConfig } from '../config/files.config';
import { FileStorage, StreamTooLongError } from './file-storage';

/** Text whose every line names its own offset, so that a batch written at the wrong place shows. */
function numberedText(size: number): Buffer {
  let text = '';
  while (text.length < size) text += `byte ${String(text.length).padStart(9, '0')} of the upload\n`;
  return Buffer.from(text.slice(0, size));
}

/** `bytes` as a network stream delivers them: uneven chunks, some of them a turn of the event loop apart. */
function arriving(bytes: Buffer, failAt?: number): Readable {
  return Readable.from(
    (async function* () {
      const sizes = [65_536, 70_001, 12_345, 65_536, 1_000];
      for (let at = 0, i = 0; at < bytes.length; i++) {
        if (failAt !== undefined && at >= failAt) throw new Error('connection reset by peer');
        const size = sizes[i % sizes.length];
        yield bytes.subarray(at, at + size);
        at += size;
        if (i % 3 === 0) await nextTurn();
      }
    })(),
  );
}

describe('FileStorage.receive', () => {
  let dir: string;
  let storage: FileStorage;
  const partsLeft = () => readdirSync(join(dir, 'tmp'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'colloquy-storage-'));
    storage = new FileStorage({ dir } as FilesConfig);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file of many batches byte for byte, with its size and text length', async () => {
    const bytes = numberedText(6 * 1024 * 1024 + 7);

    const received = await storage.receive(arriving(bytes), 8 * 1024 * 1024);

    expect(received.size).toBe(bytes.length);
    expect(received.textChars).toBe(bytes.length);
    expect(Buffer.compare(readFileSync(received.tempPath), bytes)).toBe(0);
  });

  it('stops at the limit, answering StreamTooLongError and leaving nothing on disk', async () => {
    const source = arriving(numberedText(5 * 1024 * 1024));

    await expect(storage.receive(source, 3 * 1024 * 1024)).rejects.toBeInstanceOf(StreamTooLongError);

    expect(partsLeft()).toEqual([]);
    expect(source.destroyed).toBe(true);
  });

  it('counts on past the limit to tell which of two limits a stream passed', async () => {
    const MiB = 1024 * 1024;

    await expect(storage.receive(arriving(numberedText(5 * MiB)), 3 * MiB, 6 * MiB)).rejects.toMatchObject({
      limit: 3 * MiB,
    });
    const longer = arriving(numberedText(7 * MiB));
    await expect(storage.receive(longer, 3 * MiB, 6 * MiB)).rejects.toMatchObject({ limit: 6 * MiB });

    expect(partsLeft()).toEqual([]);
    expect(longer.destroyed).toBe(true);
  });

  it("answers the stream's error and leaves nothing on disk when the upload breaks off", async () => {
    const source = arriving(numberedText(5 * 1024 * 1024), 3 * 1024 * 1024);

    await expect(storage.receive(source, 8 * 1024 * 1024)).rejects.toThrow('connection reset by peer');

    expect(partsLeft()).toEqual([]);
  });

  describe('when the disk fails', () => {
    /** FileHandle's prototype, which node:fs/promises does not export. */
    const fileHandle = async () => {
      const handle = await open(join(dir, 'probe'), 'w');
      await handle.close();
      return Object.getPrototypeOf(handle) as { writev: (...args: unknown[]) => Promise<{ bytesWritten: number }> };
    };
    afterEach(() => jest.restoreAllMocks());

    it("answers the disk's error and leaves nothing on disk", async () => {
      const proto = await fileHandle();
      const writev = proto.writev;
      let calls = 0;
      jest.spyOn(proto, 'writev').mockImplementation(function (this: unknown, ...args: unknown[]) {
        if (++calls === 3)
          return Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { syscall: 'write' }));
        return writev.apply(this, args);
      });

      await expect(storage.receive(arriving(numberedText(5 * 1024 * 1024)), 8 * 1024 * 1024)).rejects.toMatchObject({
        syscall: 'write',
      });
      expect(partsLeft()).toEqual([]);
    });

    it('takes a write the disk cut short (it was full) for a failure of the disk', async () => {
      const proto = await fileHandle();
      const writev = proto.writev;
      jest.spyOn(proto, 'writev').mockImplementation(async function (this: unknown, ...args: unknown[]) {
        const { bytesWritten } = await writev.apply(this, args);
        return { bytesWritten: bytesWritten - 1 };
      });

      await expect(storage.receive(arriving(numberedText(2 * 1024 * 1024)), 8 * 1024 * 1024)).rejects.toMatchObject({
        syscall: 'writev',
      });
      expect(partsLeft()).toEqual([]);
    });
  });

  it('keeps a file of exactly the limit', async () => {
    const bytes = numberedText(2 * 1024 * 1024);

    const received = await storage.receive(arriving(bytes), bytes.length);

    expect(Buffer.compare(readFileSync(received.tempPath), bytes)).toBe(0);
  });
});
