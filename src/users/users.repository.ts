import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { User } from './user.entity';
import { EmailTakenError } from './users.errors';

const UNIQUE_VIOLATION = new Set(['23505', 'SQLITE_CONSTRAINT']);

@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly dataSource: DataSource,
  ) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The users among `ids` that exist, in no particular order. */
  findByIds(ids: string[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.findBy({ id: In(ids) });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: email.toLowerCase() });
  }

  async insert(data: Pick<User, 'email' | 'passwordHash' | 'displayName' | 'role'>): Promise<User> {
    const now = new Date();
    const user = this.users.create({
      ...data,
      email: data.email.toLowerCase(),
      disabled: false,
      settings: {},
      createdAt: now,
      updatedAt: now,
    });
    try {
      return await this.users.save(user, { transaction: false });
    } catch (error) {
      // Two sign-ups racing for one address: the unique index decides, not a prior lookup.
      if (
        error instanceof QueryFailedError &&
        UNIQUE_VIOLATION.has((error.driverError as { code?: string }).code ?? '')
      ) {
        throw new EmailTakenError();
      }
      throw error;
    }
  }

  async update(
    id: string,
    changes: Partial<Pick<User, 'displayName' | 'settings' | 'role' | 'disabled' | 'passwordHash'>>,
  ): Promise<void> {
    await this.users.update({ id }, { ...changes, updatedAt: new Date() } as QueryDeepPartialEntity<User>);
  }

  /** Sets a new password hash and retires every refresh token issued under the old one, in one statement. */
  /**
   * Sets the password and bumps the session version, which ends every sign-in and retires every reset link made
   * before. With `sessionVersion`, only while the version is still that one (false otherwise): a reset link made
   * before another password change must not undo it.
   */
  async replacePassword(id: string, passwordHash: string, sessionVersion?: number): Promise<boolean> {
    const query = this.users
      .createQueryBuilder()
      .update()
      .set({ passwordHash, sessionVersion: () => 'session_version + 1', updatedAt: new Date() })
      .where('id = :id', { id });
    if (sessionVersion !== undefined) query.andWhere('session_version = :sessionVersion', { sessionVersion });
    const result = await query.execute();
    return result.affected === 1;
  }

  async deleteById(id: string): Promise<void> {
    await this.users.delete({ id });
  }

  /** Oldest first, so that a page never shifts when new users sign up. */
  listPage(limit: number, after?: Cursor): Promise<User[]> {
    const query = this.users
      .createQueryBuilder('u')
      .orderBy('u.createdAt', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1);
    if (after) {
      query.where('(u.createdAt, u.id) > (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }
}
