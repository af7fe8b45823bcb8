import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { sqlFor } from '../database/placeholders';
import { RowReader } from '../database/row-reader';
import { StoredFile } from '../files/stored-file.entity';

/** Rows a fork copies per statement: three parameters each, and SQLite allows 32,766 in one. */
const COPY_BATCH = 500;

/** The files attached to messages (message_attachments), in their order. */
@Injectable()
export class AttachmentsRepository {
  private readonly files: RowReader<StoredFile>;
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.files = new RowReader(dataSource, StoredFile);
    this.postgres = dataSource.options.type === 'postgres';
  }

  /**
   * The files of each of the messages, in position order; one query for any number of messages. On PostgreSQL the
   * ids go as one array, so that every page's query is the same named statement, parsed and planned once per
   * connection (planning an IN list of 50 cost the server about 0.2 ms on every history page).
   */
  async of(messageIds: string[], manager?: EntityManager): Promise<Map<string, StoredFile[]>> {
    const byMessage = new Map<string, StoredFile[]>(messageIds.map((id) => [id, []]));
    if (messageIds.length === 0) return byMessage;
    const rows = await this.files.rows(
      `SELECT a.message_id AS attached_to, ${this.files.columns('f')} FROM message_attachments a
       JOIN files f ON f.id = a.file_id
       WHERE a.message_id ${this.postgres ? '= ANY(?)' : `IN (${messageIds.map(() => '?').join(', ')})`}
       ORDER BY a.message_id, a.position`,
      this.postgres ? [messageIds] : messageIds,
      manager,
    );
    for (const row of rows) byMessage.get(row.attached_to as string)?.push(this.files.read(row) as StoredFile);
    return byMessage;
  }

  /**
   * The owner's files among `fileIds`, in that order (missing ones left out). On PostgreSQL they are share-locked
   * until commit, so a concurrent delete waits, then takes them out of the message with the rest of their
   * attachments; SQLite's transactions run one at a time anyway. Call it in the transaction that attaches them.
   */
  async holdOwned(manager: EntityManager, ownerId: string, fileIds: string[]): Promise<StoredFile[]> {
    if (fileIds.length === 0) return [];
    const rows = await this.files.query(
      `SELECT ${this.files.columns('f')} FROM files f WHERE f.owner_id = ? AND f.id IN (${fileIds.map(() => '?').join(', ')})` +
        (this.postgres ? ' FOR SHARE' : ''),
      [ownerId, ...fileIds],
      manager,
    );
    const byId = new Map(rows.map((file) => [file.id, file as StoredFile]));
    return fileIds.flatMap((id) => byId.get(id) ?? []);
  }

  /** Attaches the files to a message, in this order. */
  async insert(manager: EntityManager, messageId: string, fileIds: string[]): Promise<void> {
    if (fileIds.length === 0) return;
    await manager.query(
      sqlFor(
        this.dataSource,
        `INSERT INTO message_attachments (message_id, position, file_id) VALUES ${fileIds.map(() => '(?, ?, ?)').join(', ')}`,
      ),
      fileIds.flatMap((fileId, position) => [messageId, position, fileId]),
    );
  }

  /** Gives each copied message (copies: original id to copy's id) the attachments of its original. */
  async copy(manager: EntityManager, copies: Map<string, string>): Promise<void> {
    const attached = await this.of([...copies.keys()], manager);
    let rows = [...attached].flatMap(([original, files]) =>
      files.map((file, position) => [copies.get(original)!, position, file.id]),
    );
    if (this.postgres && rows.length > 0) {
      // Held until commit, as holdOwned does: a file deleted meanwhile is left out rather than failing the fork.
      const ids = [...new Set(rows.map(([, , fileId]) => fileId as string))];
      const held = (await manager.query(
        sqlFor(this.dataSource, `SELECT id FROM files WHERE id IN (${ids.map(() => '?').join(', ')}) FOR KEY SHARE`),
        ids,
      )) as { id: string }[];
      const kept = new Set(held.map((file) => file.id));
      rows = rows.filter(([, , fileId]) => kept.has(fileId as string));
    }
    for (let from = 0; from < rows.length; from += COPY_BATCH) {
      const batch = rows.slice(from, from + COPY_BATCH);
      await manager.query(
        sqlFor(
          this.dataSource,
          `INSERT INTO message_attachments (message_id, position, file_id) VALUES ${batch.map(() => '(?, ?, ?)').join(', ')}`,
        ),
        batch.flat(),
      );
    }
  }
}
