import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type FileKind = 'image' | 'document';
/** processing: its text is being read; ready: usable; failed: its text could not be read (see `error`). */
export type FileStatus = 'processing' | 'ready' | 'failed';

/**
 * An upload. Its bytes are on disk under FILES_DIR by id only (see FileStorage): the name the client gave is
 * display text kept here, never part of a path.
 */
@Entity('files')
export class StoredFile {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'varchar', length: 36 })
  ownerId: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** Decided from the bytes, never from the name or the client's header. */
  @Column({ name: 'mime_type', type: 'varchar', length: 100 })
  mimeType: string;

  @Column({ type: 'integer' })
  size: number;

  @Column({ type: 'varchar', length: 16 })
  kind: FileKind;

  @Column({ type: 'varchar', length: 16 })
  status: FileStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** Characters of the document's text once read; null for images and until then. */
  @Column({ name: 'text_chars', type: 'integer', nullable: true })
  textChars: number | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
