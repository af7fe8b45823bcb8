import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { sqlFor } from '../database/placeholders';
import { TransactionRunner } from '../database/transaction-runner';
import { StoredFile } from './stored-file.entity';

export type NewFile = Omit<StoredFile, 'createdAt'>;

/** What a text extraction settles a file to. */
export type ExtractionOutcome = Pick<StoredFile, 'status' | 'error' | 'textChars'>;

@Injectable()
export class FilesRepository {
  constructor(
    @InjectRepository(StoredFile) private readonly files: Repository<StoredFile>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Stores the file unless its owner's files would then take more than `quotaBytes` (then it answers how many
   * bytes they take). Summing and inserting are one step, so uploads finishing together cannot all fit the
   * same remaining space.
   */
  insertWithinQuota(file: NewFile, quotaBytes: number): Promise<{ file: StoredFile } | { usedBytes: number }> {
    return this.transactions.run(async (manager) => {
      if (manager.connection.options.type === 'postgres') {
        // Queues this owner's uploads behind one another until commit (see ApiKeysRepository.insertWithinLimit);
        // SQLite's transactions already run one at a time.
        await manager.query('SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE', [file.ownerId]);
      }
      const usedBytes = await this.usedBytes(file.ownerId, manager);
      if (usedBytes + file.size > quotaBytes) return { usedBytes };
      const files = manager.getRepository(StoredFile);
      return { file: await files.save(files.create({ ...file, createdAt: new Date() })) };
    });
  }

  async usedBytes(ownerId: string, manager = this.dataSource.manager): Promise<number> {
    const [row] = await manager
      .getRepository(StoredFile)
      .createQueryBuilder('f')
      .select('COALESCE(SUM(f.size), 0)', 'used')
      .where('f.ownerId = :ownerId', { ownerId })
      .getRawMany<{ used: string | number }>();
    // PostgreSQL answers a sum of integers as bigint, which its driver gives as text.
    return Number(row?.used ?? 0);
  }

  findOwned(ownerId: string, id: string): Promise<StoredFile | null> {
    return this.files.findOneBy({ id, ownerId });
  }

  findOwnedByIds(ownerId: string, ids: string[]): Promise<StoredFile[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.files.findBy({ ownerId, id: In(ids) });
  }

  /** Newest first; keyset-paginated on (created_at, id), which the owner-list index serves. */
  listPageForOwner(ownerId: string, limit: number, after?: Cursor): Promise<StoredFile[]> {
    const query = this.files
      .createQueryBuilder('f')
      .where('f.ownerId = :ownerId', { ownerId })
      .orderBy('f.createdAt', 'DESC')
      .addOrderBy('f.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(f.createdAt, f.id) < (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }

  /**
   * Deletes the owner's file, and with it its place among the attachments of any message: the messages stay, and
   * list (and send to the model) their other files. False when the owner has no such file. On PostgreSQL the file
   * is locked first, so a send or a fork attaching it meanwhile either commits before (and loses it here) or
   * finds it gone; SQLite's transactions run one at a time anyway.
   */
  deleteOwned(ownerId: string, id: string): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const lock = manager.connection.options.type === 'postgres' ? ' FOR UPDATE' : '';
      const owned = (await manager.query(
        sqlFor(this.dataSource, `SELECT id FROM files WHERE id = ? AND owner_id = ?${lock}`),
        [id, ownerId],
      )) as unknown[];
      if (owned.length === 0) return false;
      await manager.createQueryBuilder().delete().from('message_attachments').where('file_id = :id', { id }).execute();
      await manager.getRepository(StoredFile).delete({ id });
      return true;
    });
  }

  /** Records an extraction's outcome, if the file is still there and still waiting for it. */
  async settle(id: string, outcome: ExtractionOutcome): Promise<boolean> {
    const result = await this.files.update({ id, status: 'processing' }, outcome);
    return (result.affected ?? 0) > 0;
  }

  findProcessing(): Promise<StoredFile[]> {
    return this.files.find({ where: { status: 'processing' }, order: { createdAt: 'ASC' } });
  }

  async idsOwnedBy(ownerId: string): Promise<string[]> {
    const rows = await this.files.find({ select: { id: true }, where: { ownerId } });
    return rows.map((row) => row.id);
  }
}
