import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { AlongWith, TransactionRunner } from '../database/transaction-runner';
import { User } from '../users/user.entity';
import { Identity } from './entities/identity.entity';
import { isUniqueViolation } from '../database/unique-violation';

export type NewIdentity = Pick<Identity, 'userId' | 'provider' | 'issuer' | 'subject' | 'email'>;

@Injectable()
export class IdentitiesRepository {
  constructor(
    @InjectRepository(Identity) private readonly identities: Repository<Identity>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
  ) {}

  findByIssuerAndSubject(issuer: string, subject: string): Promise<Identity | null> {
    return this.identities.findOneBy({ issuer, subject });
  }

  /** Null when (issuer, subject) is already linked: the unique constraint decides, not a prior lookup. */
  async insert(identity: NewIdentity): Promise<Identity | null> {
    try {
      return await this.identities.save(this.identities.create({ ...identity, createdAt: new Date() }), {
        transaction: false,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        return null;
      }
      throw error;
    }
  }

  async updateEmail(id: string, email: string | null): Promise<void> {
    await this.identities.update({ id }, { email });
  }

  /** Oldest first, keyset-paginated on (created_at, id), which the owner index serves. */
  listPageForOwner(userId: string, limit: number, after?: Cursor): Promise<Identity[]> {
    const query = this.identities
      .createQueryBuilder('i')
      .where('i.userId = :userId', { userId })
      .orderBy('i.createdAt', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(i.createdAt, i.id) > (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }

  /**
   * Removes the owner's identity unless it is their last way to sign in (no password and no other identity).
   * The user's row is locked on PostgreSQL, so two removals of an owner's last two identities cannot both pass
   * the check; SQLite runs one transaction at a time anyway.
   */
  deleteOwnedUnlessLast(id: string, userId: string, andThen?: AlongWith): Promise<'deleted' | 'not-found' | 'last'> {
    return this.transactions.run(async (manager) => {
      const userQuery = manager.getRepository(User).createQueryBuilder('u').where('u.id = :userId', { userId });
      if (this.dataSource.options.type === 'postgres') userQuery.setLock('pessimistic_write');
      const user = await userQuery.getOne();
      const identities = manager.getRepository(Identity);
      if (!user || !(await identities.existsBy({ id, userId }))) return 'not-found';
      if (!user.passwordHash && (await identities.countBy({ userId })) <= 1) return 'last';
      await identities.delete({ id, userId });
      await andThen?.(manager);
      return 'deleted';
    });
  }
}
