import type { Multipart } from '@fastify/multipart';
import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InvalidUploadError } from './files.errors';
import type { IncomingFile } from './files.service';

type Parts = AsyncIterableIterator<Multipart>;

/**
 * The part named `file` of an upload's multipart body. Any other part, before or after it, refuses the whole
 * upload (nothing is kept): a body past the parser's limits (a second file, too many fields) is 413, anything
 * else 400 naming the first stray part, as unknown fields are on every other route. What follows the file is
 * read by `rest`, once its bytes are in: the parser yields the next part only after the file's stream has ended.
 */
export async function readUpload(request: FastifyRequest): Promise<IncomingFile> {
  if (!request.isMultipart())
    throw new InvalidUploadError('send the file as multipart/form-data, in a part named "file"');
  const parts = request.parts();
  const part = await nextPart(parts);
  if (!part) throw new InvalidUploadError('the multipart body needs a file part named "file"');
  if (part.type !== 'file' || part.fieldname !== 'file') return refuse(parts, part);
  return {
    filename: part.filename,
    stream: part.file,
    rest: async () => {
      const extra = await nextPart(parts);
      if (extra) await refuse(parts, extra);
    },
  };
}

async function nextPart(parts: Parts): Promise<Multipart | undefined> {
  try {
    const next = await parts.next();
    return next.done ? undefined : next.value;
  } catch (error) {
    // The parser refuses what it cannot read (no boundary, a part named `__proto__`), or more parts or fields
    // than an upload has (its limits answer 413): the client's fault, as the reading errors of FilesService.
    const { statusCode, message } = error as Error & { statusCode?: number };
    if (statusCode === 413) throw new PayloadTooLargeException(`the multipart body has too much: ${message}`);
    throw new InvalidUploadError(`the multipart body could not be read: ${message}`);
  }
}

/**
 * Reads the body to its end before answering, so that a body past the limits is 413 whichever part strays first,
 * and the client is not cut off mid-send.
 */
async function refuse(parts: Parts, stray: Multipart): Promise<never> {
  const named = stray.type === 'file' ? `a file part named "${stray.fieldname}"` : `a field named "${stray.fieldname}"`;
  const refusal = new InvalidUploadError(
    `the multipart body may have one file part named "file" and nothing else; it has ${named}`,
  );
  let part: Multipart | undefined = stray;
  while (part) {
    if (part.type === 'file') part.file.resume();
    try {
      part = await nextPart(parts);
    } catch (error) {
      if (error instanceof PayloadTooLargeException) throw error;
      break;
    }
  }
  throw refusal;
}
