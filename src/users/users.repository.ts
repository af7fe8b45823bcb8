import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { AlongWith, TransactionRunner } from '../database/transaction-runner';
import { User } from './user.entity';
import { EmailTakenError, LastAdminError } from './users.errors';
import { isUniqueViolation } from '../database/unique-violation';

@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
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

  /** With `andThen`, the new user and whatever it does (the audit record of it) are one transaction. */
  async insert(
    data: Pick<User, 'email' | 'passwordHash' | 'displayName' | 'role'>,
    andThen?: (manager: EntityManager, user: User) => Promise<void>,
  ): Promise<User> {
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
      if (!andThen) return await this.users.save(user, { transaction: false });
      // Refused before anything is written: on SQLite a failed insert's ROLLBACK would also undo what other
      // requests ran on the shared connection meanwhile (see TransactionRunner.runOrRefuse).
      return await this.transactions.runOrRefuse(async (manager) => {
        const users = manager.getRepository(User);
        if (await users.exists({ where: { email: user.email } })) throw new EmailTakenError();
        const saved = await users.save(user, { transaction: false });
        await andThen(manager, saved);
        return saved;
      });
    } catch (error) {
      // Two sign-ups racing for one address: the unique index decides, not a prior lookup.
      if (isUniqueViolation(error)) {
        throw new EmailTakenError();
      }
      throw error;
    }
  }

  /** With `andThen`, the change and whatever it does (the audit record of it) are one transaction. */
  async update(
    id: string,
    changes: Partial<Pick<User, 'displayName' | 'settings' | 'role' | 'disabled' | 'passwordHash'>>,
    andThen?: AlongWith,
  ): Promise<void> {
    const write = (users: Repository<User>) =>
      users.update({ id }, { ...changes, updatedAt: new Date() } as QueryDeepPartialEntity<User>);
    if (changes.role === 'user' || changes.disabled === true) await this.keepingAnAdmin(id, write, andThen);
    else await this.write(andThen, write);
  }

  /**
   * Sets the password and bumps the session version, which ends every sign-in and retires every reset link made
   * before. With `sessionVersion`, only while the version is still that one (false otherwise): a reset link made
   * before another password change must not undo it. `andThen` runs in the same transaction, only if it was set.
   */
  async replacePassword(
    id: string,
    passwordHash: string,
    sessionVersion?: number,
    andThen?: AlongWith,
  ): Promise<boolean> {
    return this.write(
      undefined,
      async (users, manager) => {
        const query = users
          .createQueryBuilder()
          .update()
          .set({ passwordHash, sessionVersion: () => 'session_version + 1', updatedAt: new Date() })
          .where('id = :id', { id });
        if (sessionVersion !== undefined) query.andWhere('session_version = :sessionVersion', { sessionVersion });
        const done = (await query.execute()).affected === 1;
        if (done && andThen && manager) await andThen(manager);
        return done;
      },
      andThen !== undefined,
    );
  }

  async deleteById(id: string, andThen?: AlongWith): Promise<void> {
    await this.keepingAnAdmin(id, (users) => users.delete({ id }), andThen);
  }

  /**
   * `change` to user `id` (their deletion, or the loss of their admin role or access) with `andThen`, in one
   * transaction that refuses with LastAdminError, before anything is written, when `id` is the only enabled admin:
   * nobody could then run the server's administration. On PostgreSQL the target's row and the enabled admins' rows
   * are locked by one statement, in one order, and the decision is made on the rows as locked: a promotion, or
   * another admin's removal, running at the same time goes before or after, never in between. FOR NO KEY UPDATE, so
   * that rows referring to them (sign-ins, conversations, usage) can still be written meanwhile. SQLite runs one
   * transaction at a time.
   */
  private async keepingAnAdmin(
    id: string,
    change: (users: Repository<User>) => Promise<unknown>,
    andThen?: AlongWith,
  ): Promise<void> {
    await this.transactions.runOrRefuse(async (manager) => {
      const users = manager.getRepository(User);
      const query = users
        .createQueryBuilder('candidate')
        .select(['candidate.id AS id', 'candidate.role AS role', 'candidate.disabled AS disabled'])
        .where('candidate.id = :id OR (candidate.role = :role AND candidate.disabled = :disabled)', {
          id,
          role: 'admin',
          disabled: false,
        })
        .orderBy('candidate.id');
      if (this.dataSource.options.type === 'postgres') query.setLock('for_no_key_update');
      const rows: { id: string; role: string; disabled: boolean | number }[] = await query.getRawMany();
      const admins = rows.filter((row) => row.role === 'admin' && !row.disabled);
      if (admins.length === 1 && admins[0].id === id) throw new LastAdminError();
      await change(users);
      if (andThen) await andThen(manager);
    });
  }

  /**
   * Runs `work` on its own, or, when something has to go along with it, in a transaction with that (on the
   * transaction runner, which keeps SQLite's one connection to one transaction at a time).
   */
  private async write<T>(
    andThen: AlongWith | undefined,
    work: (users: Repository<User>, manager?: EntityManager) => Promise<T>,
    transactional = andThen !== undefined,
  ): Promise<T> {
    if (!transactional) return work(this.users);
    return this.transactions.run(async (manager) => {
      const result = await work(manager.getRepository(User), manager);
      if (andThen) await andThen(manager);
      return result;
    });
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
