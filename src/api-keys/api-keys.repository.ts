import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { TransactionRunner } from '../database/transaction-runner';
import { ApiKey } from './api-key.entity';

@Injectable()
export class ApiKeysRepository {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Stores the key unless its owner already has `max` of them (then null). Counting and inserting are one
   * step: creations sent all at once would otherwise each count the same total and all pass the cap.
   */
  insertWithinLimit(
    key: Pick<ApiKey, 'userId' | 'name' | 'prefix' | 'keyHash' | 'expiresAt'>,
    max: number,
    andThen?: (manager: EntityManager, saved: ApiKey) => Promise<void>,
  ): Promise<ApiKey | null> {
    return this.transactions.run(async (manager) => {
      if (manager.connection.options.type === 'postgres') {
        // Queues this owner's creations (only theirs) behind one another until commit, so the count below sees
        // every key committed before it. NO KEY UPDATE leaves the owner's other inserts (their FK checks) alone.
        // SQLite needs nothing: the transaction runner already runs one transaction at a time.
        await manager.query('SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE', [key.userId]);
      }
      const keys = manager.getRepository(ApiKey);
      if ((await keys.countBy({ userId: key.userId })) >= max) return null;
      const saved = await keys.save(keys.create({ ...key, createdAt: new Date(), lastUsedAt: null }));
      await andThen?.(manager, saved);
      return saved;
    });
  }

  findByHash(keyHash: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ keyHash });
  }

  /** Newest first; keyset-paginated on (created_at, id), which the owner-list index serves. */
  listPageForOwner(userId: string, limit: number, after?: Cursor): Promise<ApiKey[]> {
    const query = this.keys
      .createQueryBuilder('k')
      .where('k.userId = :userId', { userId })
      .orderBy('k.createdAt', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(k.createdAt, k.id) < (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }

  /** Ownership is part of the statement: another user's key is simply not found. */
  async deleteOwned(userId: string, id: string, andThen?: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    if (!andThen) return ((await this.keys.delete({ id, userId })).affected ?? 0) > 0;
    return this.transactions.run(async (manager) => {
      const deleted = ((await manager.getRepository(ApiKey).delete({ id, userId })).affected ?? 0) > 0;
      if (deleted) await andThen(manager);
      return deleted;
    });
  }

  /** Records a use, unless one was recorded after `staleBefore` (then it writes nothing). */
  async touch(id: string, at: Date, staleBefore: Date): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: at })
      .where('id = :id', { id })
      .andWhere('(last_used_at IS NULL OR last_used_at < :staleBefore)', {
        staleBefore: dateParam(this.dataSource, staleBefore),
      })
      .execute();
  }
}
