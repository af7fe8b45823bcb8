import { readFile } from 'node:fs/promises';
import { PDF_MIME } from '../mime-types';
import { checkZipDeclarations } from './zip-limits';

/** What a worker sends back: the document's text, or why there is none. */
export type ExtractionResult = { ok: true; text: string } | { ok: false; reason: string };

/** What a worker is given. */
export interface ExtractionJob {
  path: string;
  mimeType: string;
}

const DOCX_LIMITS = { maxEntries: 5_000, maxTotalBytes: 64 * 1024 * 1024, maxRatio: 100 };
const MAX_PDF_PAGES = 2_000;

/** Reads the text of a PDF or DOCX. Runs in a worker thread (extract-text.worker.ts), never on the event loop. */
export async function extractText(job: ExtractionJob): Promise<ExtractionResult> {
  try {
    const bytes = await readFile(job.path);
    const text = job.mimeType === PDF_MIME ? await pdfText(bytes) : await docxText(bytes);
    return { ok: true, text };
  } catch (error) {
    return { ok: false, reason: error instanceof ExtractionRefused ? error.message : describe(error) };
  }
}

class ExtractionRefused extends Error {}

async function pdfText(bytes: Buffer): Promise<string> {
  const { extractText: pdfExtract, getDocumentProxy } = await import('unpdf');
  const pdf = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false });
  try {
    if (pdf.numPages > MAX_PDF_PAGES) throw new ExtractionRefused(`the PDF has more than ${MAX_PDF_PAGES} pages`);
    const { text } = await pdfExtract(pdf, { mergePages: true });
    if (text.trim().length === 0) {
      throw new ExtractionRefused('the PDF has no text layer (scanned pages would need OCR, which is not done here)');
    }
    return text;
  } finally {
    await pdf.destroy();
  }
}

async function docxText(bytes: Buffer): Promise<string> {
  try {
    checkZipDeclarations(bytes, DOCX_LIMITS);
  } catch (error) {
    throw new ExtractionRefused((error as Error).message);
  }
  const mammoth = await import('mammoth');
  const { value } = await mammoth.extractRawText({ buffer: bytes });
  return value;
}

/** A parser's complaint, without paths or stack: it ends up in the file's `error`, which its owner reads. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `the document could not be read: ${message.split('\n')[0].slice(0, 200)}`;
}
