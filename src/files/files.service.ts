import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { AuthUser } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { filesConfig } from '../config/files.config';
import { TextExtractor } from './extraction/text-extractor.service';
import { FileStorage, StreamTooLongError } from './file-storage';
import { detectType, displayName } from './file-types';
import {
  FileNotFoundError,
  FileNotReadyError,
  FileQuotaExceededError,
  FileTooLargeError,
  InvalidUploadError,
  UnsupportedFileTypeError,
} from './files.errors';
import { FilesRepository } from './files.repository';
import type { StoredFile } from './stored-file.entity';

/** An upload as it arrives: the name the client gave (display text only) and the bytes. */
export interface IncomingFile {
  filename: string | undefined;
  stream: Readable;
  /** Reads what follows the bytes in the request, once they are in; throws if the upload is to be refused. */
  rest: () => Promise<void>;
}

const ACCEPTED =
  'accepted are PNG, JPEG, GIF and WebP images, and documents: UTF-8 text (plain, Markdown, CSV, JSON, source ' +
  'code), PDF and DOCX';

@Injectable()
export class FilesService {
  constructor(
    private readonly files: FilesRepository,
    private readonly storage: FileStorage,
    private readonly extractor: TextExtractor,
    @Inject(filesConfig.KEY) private readonly config: ConfigType<typeof filesConfig>,
  ) {}

  /**
   * Streams the upload to disk (never whole in memory), decides its type from the bytes, and stores it within
   * the owner's quota. PDF and DOCX are `processing` until their text has been read in the background; other
   * files are `ready` at once. Nothing is left on disk when the upload is refused or fails.
   */
  async upload(principal: AuthUser, incoming: IncomingFile): Promise<StoredFile> {
    const room = this.config.quotaBytes - (await this.files.usedBytes(principal.id));
    const limit = Math.max(0, Math.min(this.config.maxBytes, room));
    let received: { tempPath: string; size: number; textChars: number | null };
    try {
      // Read on to FILE_MAX_BYTES past the room left: a file over both limits is too large, which no clearing up of
      // the quota would change.
      received = await this.storage.receive(incoming.stream, limit, this.config.maxBytes);
    } catch (error) {
      if (error instanceof StreamTooLongError && error.limit < this.config.maxBytes) {
        throw new FileQuotaExceededError(this.config.quotaBytes, this.config.quotaBytes - room);
      }
      if (error instanceof StreamTooLongError || isMultipartTooLarge(error)) {
        throw new FileTooLargeError(this.config.maxBytes);
      }
      // The disk's failures name a system call; anything else came from parsing what the client sent.
      if (error instanceof Error && !('syscall' in error)) {
        throw new InvalidUploadError(`the multipart body could not be read: ${error.message}`);
      }
      throw error;
    }
    const { tempPath, size, textChars } = received;
    const id = randomUUID();
    let kept = false;
    try {
      // Before anything is kept: a request refused for what follows the file must leave no trace of it.
      await incoming.rest();
      if (size === 0) throw new UnsupportedFileTypeError('the file is empty');
      const name = displayName(incoming.filename);
      const type = await detectType(tempPath, name, textChars);
      if (!type) throw new UnsupportedFileTypeError(`the file's type is not accepted: ${ACCEPTED}`);
      const extracted = type.kind === 'image' || type.textChars !== undefined;
      await this.storage.keep(tempPath, id);
      kept = true;
      const stored = await this.files.insertWithinQuota(
        {
          id,
          ownerId: principal.id,
          name,
          mimeType: type.mimeType,
          size,
          kind: type.kind,
          status: extracted ? 'ready' : 'processing',
          error: null,
          textChars: type.textChars ?? null,
        },
        this.config.quotaBytes,
      );
      if ('usedBytes' in stored) throw new FileQuotaExceededError(this.config.quotaBytes, stored.usedBytes);
      if (stored.file.status === 'processing') this.extractor.enqueue(stored.file);
      return stored.file;
    } catch (error) {
      await (kept ? this.storage.remove(id) : this.storage.discard(tempPath));
      throw error;
    }
  }

  /**
   * What a stopped process left unfinished: documents still `processing` are read again, and half-received
   * uploads are removed. Run once by the server at start (not by the command line, whose database may not be
   * migrated yet).
   */
  async resumeAfterRestart(): Promise<void> {
    await this.storage.sweepAbandoned();
    await this.extractor.resume();
  }

  async list(principal: AuthUser, limit: number, cursor?: string): Promise<Page<StoredFile>> {
    const rows = await this.files.listPageForOwner(principal.id, limit, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (file) => file.createdAt);
  }

  async get(principal: AuthUser, id: string): Promise<StoredFile> {
    const file = await this.files.findOwned(principal.id, id);
    if (!file) throw new FileNotFoundError();
    return file;
  }

  async content(principal: AuthUser, id: string): Promise<{ file: StoredFile; stream: ReadStream }> {
    const file = await this.get(principal, id);
    return { file, stream: await this.storage.openBytes(id) };
  }

  /** Deletes the file and its bytes; messages it was attached to keep their other files. */
  async remove(principal: AuthUser, id: string): Promise<void> {
    if (!(await this.files.deleteOwned(principal.id, id))) throw new FileNotFoundError();
    await this.storage.remove(id);
  }

  /**
   * The caller's files `ids`, in that order, each `ready`: what a message may attach. Another user's file is
   * not found, as on every other route.
   */
  async readyForAttachment(principal: AuthUser, ids: string[]): Promise<StoredFile[]> {
    const found = new Map((await this.files.findOwnedByIds(principal.id, ids)).map((file) => [file.id, file]));
    return ids.map((id) => {
      const file = found.get(id);
      if (!file) throw new FileNotFoundError();
      if (file.status !== 'ready') throw new FileNotReadyError(id, file.status);
      return file;
    });
  }

  /**
   * The first `maxChars` characters of a ready document's text: the file itself for text documents, the text
   * read from it for PDF and DOCX.
   */
  readText(file: StoredFile, maxChars: number): Promise<string> {
    const isText = file.mimeType.startsWith('text/') || file.mimeType === 'application/json';
    return this.storage.readTextPrefix(
      isText ? this.storage.bytesPath(file.id) : this.storage.textPath(file.id),
      maxChars,
    );
  }

  /** A ready image's bytes in base64, for a model's image part. */
  async imageData(id: string): Promise<string> {
    return (await readFile(this.storage.bytesPath(id))).toString('base64');
  }

  /** The ids of every file of an account, before it is deleted (see removeBytes). */
  idsOwnedBy(ownerId: string): Promise<string[]> {
    return this.files.idsOwnedBy(ownerId);
  }

  /** Removes the bytes of files whose rows are gone (with their account). */
  async removeBytes(ids: string[]): Promise<void> {
    for (const id of ids) await this.storage.remove(id);
  }
}

/** @fastify/multipart's own size limit, should it trip before ours. */
function isMultipartTooLarge(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'FST_REQ_FILE_TOO_LARGE';
}
