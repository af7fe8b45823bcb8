import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { sqlFor } from '../database/placeholders';
import { TransactionRunner } from '../database/transaction-runner';
import type { AuthUser, Role } from '../common/auth-user';
import { ApiKey } from './api-key.entity';

/** A key found for a request (see ApiKeysRepository.findLiveForRequest). */
export interface LiveApiKey {
  id: string;
  owner: AuthUser;
  ownerDisabled: boolean;
  /** Its last use is older than the resolution asked for: the use should be recorded. */
  stale: boolean;
}

@Injectable()
export class ApiKeysRepository {
  private readonly liveSql: string;

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
  ) {
    // The parameters come in this order: staleBefore, keyHash, now.
    this.liveSql = sqlFor(
      dataSource,
      `SELECT k.id, k.user_id, u.email, u.role, u.disabled,
        CASE WHEN k.last_used_at IS NULL OR k.last_used_at < ? THEN 1 ELSE 0 END AS stale
      FROM api_keys k LEFT JOIN users u ON u.id = k.user_id
      WHERE k.key_hash = ? AND (k.expires_at IS NULL OR k.expires_at > ?)`,
    );
  }

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

  /**
   * What a request presenting the key needs, in one indexed read with no entity mapping: the key (unless it is
   * unknown or expired at `now`), its owner's email, role and whether the account is disabled, and whether its
   * last use is older than `staleBefore`. Read from the database on every request, never cached, so a key
   * revoked by any process is refused on its very next use.
   */
  async findLiveForRequest(keyHash: string, now: Date, staleBefore: Date): Promise<LiveApiKey | null> {
    const rows = await this.dataSource.query<
      { id: string; user_id: string; email: string | null; role: Role; disabled: boolean | number; stale: number }[]
    >(this.liveSql, [dateParam(this.dataSource, staleBefore), keyHash, dateParam(this.dataSource, now)]);
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      owner: { id: row.user_id, email: row.email ?? '', role: row.role },
      // No owner: an account deleted while a key of it was being read.
      ownerDisabled: row.email === null || Boolean(row.disabled),
      stale: Number(row.stale) === 1,
    };
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
