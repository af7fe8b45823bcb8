import { ApiProperty } from '@nestjs/swagger';
import type { StoredFile } from '../stored-file.entity';
import { isoTime } from '../../common/dto/iso-time';

export class FileResponseDto {
  id: string;
  /** The name it was uploaded with, cleaned of path parts and control characters. @example "report.pdf" */
  name: string;
  /** Decided from the bytes, never from the name or the client's header. @example "application/pdf" */
  mimeType: string;
  /** In bytes. */
  size: number;
  @ApiProperty({ enum: ['image', 'document'] })
  kind: 'image' | 'document';
  /** processing: a PDF's or DOCX's text is being read; ready: usable as an attachment; failed: see `error`. */
  @ApiProperty({ enum: ['processing', 'ready', 'failed'] })
  status: 'processing' | 'ready' | 'failed';
  /** Why the text could not be read, when `failed`. @example "the PDF has no text layer (scanned pages would need OCR, which is not done here)" */
  error: string | null;
  /** Characters of the document's text once read; null for images and while processing. */
  textChars: number | null;
  createdAt: string;

  static from(file: StoredFile): FileResponseDto {
    return {
      id: file.id,
      name: file.name,
      mimeType: file.mimeType,
      size: file.size,
      kind: file.kind,
      status: file.status,
      error: file.error,
      textChars: file.textChars,
      createdAt: isoTime(file.createdAt),
    };
  }
}

export class FilesPageResponseDto {
  items: FileResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
