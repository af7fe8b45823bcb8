import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Not, Repository } from 'typeorm';
import { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { RowReader } from '../database/row-reader';
import { AlongWith, TransactionRunner } from '../database/transaction-runner';
import { User } from '../users/user.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { UserSession } from './entities/user-session.entity';

/** What every request made with an access token needs to know of its session and caller. */
export interface SessionPrincipal {
  userId: string;
  lastUsedAt: Date;
  email: string;
  role: User['role'];
  disabled: boolean;
  /** Not revoked, and started under the user's current session version (no password change since). */
  live: boolean;
}

@Injectable()
export class SessionsRepository {
  // Read on every authenticated request, so plain SQL through RowReader. The session and its user come in one
  // primary-key read: checking the session costs a join, not a second query, next to the user lookup it replaces.
  private readonly sessionColumns: RowReader<UserSession, 'userId' | 'lastUsedAt'>;
  private readonly userColumns: RowReader<User, 'email' | 'role' | 'disabled'>;
  private readonly selectPrincipal: string;

  constructor(
    @InjectRepository(UserSession) private readonly sessions: Repository<UserSession>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
  ) {
    this.sessionColumns = new RowReader(dataSource, UserSession, ['userId', 'lastUsedAt']);
    this.userColumns = new RowReader(dataSource, User, ['email', 'role', 'disabled']);
    this.selectPrincipal =
      `SELECT ${this.sessionColumns.columns('s')}, ${this.userColumns.columns('u')}, ` +
      'CASE WHEN s.revoked_at IS NULL AND s.session_version = u.session_version THEN 1 ELSE 0 END AS live ' +
      'FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?';
  }

  insert(
    session: Pick<UserSession, 'id' | 'userId' | 'sessionVersion' | 'ip' | 'userAgent' | 'expiresAt'>,
    manager?: EntityManager,
  ) {
    const now = new Date();
    const sessions = manager ? manager.getRepository(UserSession) : this.sessions;
    return sessions.save(sessions.create({ ...session, createdAt: now, lastUsedAt: now, revokedAt: null }), {
      transaction: false,
    });
  }

  findById(id: string): Promise<UserSession | null> {
    return this.sessions.findOneBy({ id });
  }

  async findPrincipal(id: string): Promise<SessionPrincipal | null> {
    const [row] = await this.sessionColumns.rows(this.selectPrincipal, [id]);
    if (!row) return null;
    return { ...this.sessionColumns.read(row), ...this.userColumns.read(row), live: Number(row.live) === 1 };
  }

  /** A refresh: where the session is used from now, and how long it may be resumed. */
  async recordRefresh(
    id: string,
    changes: Pick<UserSession, 'ip' | 'userAgent' | 'expiresAt'>,
    manager?: EntityManager,
  ): Promise<void> {
    const sessions = manager ? manager.getRepository(UserSession) : this.sessions;
    await sessions.update({ id }, { ...changes, lastUsedAt: new Date() });
  }

  /** Records a use, unless one was recorded after `staleBefore` (then it writes nothing). */
  async touch(id: string, at: Date, staleBefore: Date): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: at })
      .where('id = :id', { id })
      .andWhere('last_used_at < :staleBefore', { staleBefore: dateParam(this.dataSource, staleBefore) })
      .execute();
  }

  /**
   * The owner's sessions that can still be used: not ended, not expired, not from before a password change.
   * Newest first; keyset-paginated on (created_at, id), which the owner-list index serves.
   */
  listLivePageForOwner(userId: string, limit: number, after?: Cursor): Promise<UserSession[]> {
    const query = this.sessions
      .createQueryBuilder('s')
      .where('s.userId = :userId', { userId })
      .andWhere('s.revokedAt IS NULL')
      .andWhere('s.expiresAt > :now', { now: dateParam(this.dataSource, new Date()) })
      .andWhere('s.session_version = (SELECT u.session_version FROM users u WHERE u.id = s.user_id)')
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(s.createdAt, s.id) < (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }

  /**
   * Ends a session and revokes its refresh tokens, in one transaction (with `andThen`, when it ended one). With
   * `userId`, only that user's, and only one their sessions list shows (not expired, not from before a password
   * change): false when they have no such session that was still going.
   */
  end(id: string, userId?: string, andThen?: AlongWith): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const now = new Date();
      const query = manager
        .createQueryBuilder()
        .update(UserSession)
        .set({ revokedAt: now })
        .where('id = :id AND revoked_at IS NULL', { id });
      if (userId) {
        query
          .andWhere('user_id = :userId AND expires_at > :now', { userId, now: dateParam(this.dataSource, now) })
          .andWhere('session_version = (SELECT u.session_version FROM users u WHERE u.id = :userId)');
      }
      const ended = await query.execute();
      if (!ended.affected) return false;
      await manager
        .getRepository(RefreshToken)
        .update({ familyId: id, revokedAt: IsNull() }, { revokedAt: new Date() });
      await andThen?.(manager);
      return true;
    });
  }

  /** Ends every session of the user but `keepId`, and revokes their refresh tokens, in one transaction. */
  async endAllOfOwnerExcept(userId: string, keepId: string, andThen?: AlongWith): Promise<void> {
    await this.transactions.run(async (manager) => {
      const now = new Date();
      await manager
        .getRepository(UserSession)
        .update({ userId, id: Not(keepId), revokedAt: IsNull() }, { revokedAt: now });
      await manager
        .getRepository(RefreshToken)
        .update({ userId, familyId: Not(keepId), revokedAt: IsNull() }, { revokedAt: now });
      await andThen?.(manager);
    });
  }
}
