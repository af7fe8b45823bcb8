import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { ApiKey } from './api-key.entity';

@Injectable()
export class ApiKeysRepository {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly dataSource: DataSource,
  ) {}

  insert(key: Pick<ApiKey, 'userId' | 'name' | 'prefix' | 'keyHash' | 'expiresAt'>): Promise<ApiKey> {
    return this.keys.save(this.keys.create({ ...key, createdAt: new Date(), lastUsedAt: null }), {
      transaction: false,
    });
  }

  countForOwner(userId: string): Promise<number> {
    return this.keys.countBy({ userId });
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
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    const result = await this.keys.delete({ id, userId });
    return (result.affected ?? 0) > 0;
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
