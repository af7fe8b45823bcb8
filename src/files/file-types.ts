import { DOCX_MIME, PDF_MIME } from './mime-types';
import type { FileKind } from './stored-file.entity';

/** What the bytes of an upload are, as the server stores and serves it. */
export interface DetectedType {
  kind: FileKind;
  mimeType: string;
  /** For text documents, whose text is the file itself: its length in characters. */
  textChars?: number;
}

/** Types recognised from their signature. Anything else with a signature is refused (unless it is UTF-8 text). */
const BY_SIGNATURE: Record<string, Omit<DetectedType, 'textChars'>> = {
  'image/png': { kind: 'image', mimeType: 'image/png' },
  'image/jpeg': { kind: 'image', mimeType: 'image/jpeg' },
  'image/gif': { kind: 'image', mimeType: 'image/gif' },
  'image/webp': { kind: 'image', mimeType: 'image/webp' },
  [PDF_MIME]: { kind: 'document', mimeType: PDF_MIME },
  [DOCX_MIME]: { kind: 'document', mimeType: DOCX_MIME },
};

/**
 * The flavour of a text document, from its name's extension. Only text that passed the UTF-8 check gets one,
 * so a name can choose between harmless text types but never make other bytes acceptable. HTML, SVG and every
 * other markup stay text/plain: served as that, a browser never renders them.
 */
const TEXT_FLAVOURS: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
};

/**
 * The type of the file at `path` from its bytes (and, for text, its name's extension); null when not accepted.
 * `textChars` is the length of its text when its bytes are UTF-8 text without NUL bytes (see Utf8TextCounter),
 * null otherwise.
 */
export async function detectType(path: string, name: string, textChars: number | null): Promise<DetectedType | null> {
  // Imported here, not at the top: file-type and its tokenizer are a few percent of every start, for uploads only.
  const { fileTypeFromFile } = await import('file-type');
  const signature = await fileTypeFromFile(path);
  const known = signature && BY_SIGNATURE[signature.mime];
  if (known) return { ...known };
  if (textChars === null) return null;
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return { kind: 'document', mimeType: TEXT_FLAVOURS[extension] ?? 'text/plain', textChars };
}

/** Ways a name could mislead a person or a program reading it: controls, bidirectional overrides, separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"\\/:*?<>|]/g;

/** Counted in code points, as PostgreSQL counts varchar(255). */
const MAX_NAME_LENGTH = 255;

/**
 * The name shown for an upload: the last segment of what the client sent, without characters that could
 * mislead or break a header, at most 255 characters. A longer name loses the end of its stem, not its extension,
 * which says what the file is to the person downloading it (and to the text flavour above). Display text only,
 * never a path.
 */
export function displayName(raw: string | undefined): string {
  const last = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = last.replace(UNSAFE_IN_NAME, '_').trim();
  if (/^\.*$/.test(cleaned)) return 'file';
  const points = [...cleaned];
  if (points.length <= MAX_NAME_LENGTH) return cleaned;
  const extension = /\.[A-Za-z0-9]{1,16}$/.exec(cleaned)?.[0] ?? '';
  return points.slice(0, MAX_NAME_LENGTH - extension.length).join('') + extension;
}
