import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { QueryResult } from 'typeorm/query-runner/QueryResult';
import type { Cursor } from '../common/pagination/cursor';
import { dateParam } from '../database/date-param';
import { sqlFor } from '../database/placeholders';
import { TransactionRunner } from '../database/transaction-runner';
import { QuotaCounter } from './entities/quota-counter.entity';
import { QuotaPolicy } from './entities/quota-policy.entity';
import { QuotaReservation } from './entities/quota-reservation.entity';
import { isUniqueViolation } from '../database/unique-violation';

/** One counter a call reserves on: the policy, the person, the current period, and what it takes. */
export interface ReservationItem {
  policy: QuotaPolicy;
  userId: string;
  period: string;
  requests: number;
  tokens: number;
}

/** Why a reservation was refused: the policy that would go over, and its counter as it stood. */
export interface QuotaRefusal {
  policy: QuotaPolicy;
  usedRequests: number;
  usedTokens: number;
  /** Which of the policy's limits the call would pass. */
  limit: 'requests' | 'tokens';
  /** What the call would add under that limit: 1 request, or its token estimate. */
  asked: number;
}

type CounterKey = Pick<QuotaCounter, 'policyId' | 'userId' | 'period'>;

/** How often a quota transaction that SQLite found busy is tried again, a few milliseconds apart. */
const BUSY_ATTEMPTS = 50;

const COUNTER_KEY = 'policy_id = ? AND user_id = ? AND period = ?';
/**
 * The most tokens one call adds, and where a counter stops: beyond any limit (at most 10^9), and far enough below
 * the 32-bit columns' 2^31 that no sum overflows, whatever tokens a provider reports.
 */
const MOST_TOKENS_A_CALL = 1_000_000_000;
const FULL_COUNTER = 2 ** 30;
const ADD =
  'UPDATE quota_counters SET used_requests = used_requests + ?, ' +
  `used_tokens = CASE WHEN used_tokens + ? > ${FULL_COUNTER} THEN ${FULL_COUNTER} ELSE used_tokens + ? END ` +
  `WHERE ${COUNTER_KEY}`;
const READ_COUNTER = `SELECT used_requests, used_tokens FROM quota_counters WHERE ${COUNTER_KEY}`;
const DELETE_RESERVATION = 'DELETE FROM quota_reservations WHERE reservation_id = ? AND policy_id = ?';
const RESERVATION_COLUMNS = 'reservation_id, policy_id, user_id, period, requests, tokens, expires_at';

/**
 * Adds a call's estimate to its counter, creating the period's counter with it, and only if the total stays within
 * the limits: one statement, atomic on both databases (PostgreSQL makes a concurrent one wait for the row and
 * then sees the new total). A first counter is created unconditionally: the caller has checked that the call fits
 * an empty one. Per combination of limits, so that each SQL text is fixed (and kept prepared).
 */
function addWithinLimitsSql(maxRequests: boolean, maxTokens: boolean): string {
  const limits = [
    maxRequests && 'quota_counters.used_requests + excluded.used_requests <= ?',
    maxTokens && 'quota_counters.used_tokens + excluded.used_tokens <= ?',
  ].filter(Boolean);
  return (
    'INSERT INTO quota_counters (policy_id, user_id, period, used_requests, used_tokens) VALUES (?, ?, ?, ?, ?) ' +
    'ON CONFLICT (policy_id, user_id, period) DO UPDATE SET ' +
    'used_requests = quota_counters.used_requests + excluded.used_requests, ' +
    'used_tokens = quota_counters.used_tokens + excluded.used_tokens' +
    (limits.length > 0 ? ` WHERE ${limits.join(' AND ')}` : '')
  );
}

@Injectable()
export class QuotasRepository {
  constructor(
    @InjectRepository(QuotaPolicy) private readonly policies: Repository<QuotaPolicy>,
    @InjectRepository(QuotaCounter) private readonly counters: Repository<QuotaCounter>,
    @InjectRepository(QuotaReservation) private readonly reservations: Repository<QuotaReservation>,
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
  ) {}

  /** Every policy, oldest first; few enough to be kept in memory (QuotaPoliciesService caches them). */
  listPolicies(): Promise<QuotaPolicy[]> {
    return this.policies.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** `limit + 1` policies after `after`, oldest first, for the admins' list: the extra one tells whether more follow. */
  listPolicyPage(limit: number, after?: Cursor): Promise<QuotaPolicy[]> {
    const query = this.policies
      .createQueryBuilder('p')
      .orderBy('p.createdAt', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(limit + 1);
    if (after) {
      query.where('(p.createdAt, p.id) > (:at, :id)', { at: dateParam(this.dataSource, after.at), id: after.id });
    }
    return query.getMany();
  }

  /**
   * Stores the policy unless one already has its scope, window and model (then null), with what else has to be
   * stored with it (the audit record) in the same transaction.
   */
  async insertPolicy(
    policy: Omit<QuotaPolicy, 'id' | 'createdAt'>,
    andThen: (manager: EntityManager, saved: QuotaPolicy) => Promise<void>,
  ): Promise<QuotaPolicy | null> {
    try {
      return await this.transactions.run(async (manager) => {
        const repository = manager.getRepository(QuotaPolicy);
        const same = await repository
          .createQueryBuilder('p')
          .where(policy.userId === null ? 'p.userId IS NULL' : 'p.userId = :userId', { userId: policy.userId })
          .andWhere(policy.model === null ? 'p.model IS NULL' : 'p.model = :model', { model: policy.model })
          .andWhere('p.window = :window', { window: policy.window })
          .getCount();
        if (same > 0) return null;
        const saved = await repository.save(repository.create({ ...policy, createdAt: new Date() }));
        await andThen(manager, saved);
        return saved;
      });
    } catch (error) {
      // The same policy, made by another request between the count and the insert (ux_quota_policies_scope).
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /** Deletes the policy with its counters and reservations; false when there was none. */
  deletePolicy(id: string, andThen: (manager: EntityManager, deleted: QuotaPolicy) => Promise<void>): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const policy = await manager.getRepository(QuotaPolicy).findOneBy({ id });
      if (!policy) return false;
      await manager.getRepository(QuotaReservation).delete({ policyId: id });
      await manager.getRepository(QuotaCounter).delete({ policyId: id });
      await manager.getRepository(QuotaPolicy).delete({ id });
      await andThen(manager, policy);
      return true;
    });
  }

  /** The counters of these policies for one person in these periods. */
  countersOf(userId: string, keys: { policyId: string; period: string }[]): Promise<QuotaCounter[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.counters.findBy({
      userId,
      policyId: In(keys.map((key) => key.policyId)),
      period: In([...new Set(keys.map((key) => key.period))]),
    });
  }

  /**
   * Adds every item to its counter, each only if that keeps it within its policy's limits, and records what was
   * added as reservation `reservationId`; all or nothing, in the caller's transaction (a send's, so that a send
   * costs no transaction of its own for its quota). A refused item undoes the items before it, so that a refusal
   * leaves nothing written: the transaction commits whatever else it did (on SQLite a rollback could undo other
   * requests' statements too). Before refusing, the person's expired reservations (of calls whose process died)
   * are given back, and the call is tried once more.
   */
  async reserveWithin(
    manager: EntityManager,
    reservationId: string,
    items: ReservationItem[],
    expiresAt: Date,
    now: Date,
  ): Promise<QuotaRefusal | null> {
    items = await this.ofExistingPolicies(manager, items);
    if (items.length === 0) return null;
    let refused = await this.addAll(manager, items);
    // Only on the call's own counters, which this transaction has locked already (PostgreSQL): taking others'
    // locks here, out of policy order, could deadlock with another call of the same person.
    const mine = { userId: items[0].userId, policyIds: items.map((item) => item.policy.id) };
    if (refused && (await this.giveBackExpired(manager, now, mine)) > 0) {
      refused = await this.addAll(manager, items);
    }
    if (refused) return this.refusal(manager, refused);
    const row = `(${RESERVATION_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`;
    await this.execute(
      manager,
      `INSERT INTO quota_reservations (${RESERVATION_COLUMNS}) VALUES ${items.map(() => row).join(', ')}`,
      items.flatMap((item) => [
        reservationId,
        item.policy.id,
        item.userId,
        item.period,
        item.requests,
        item.tokens,
        dateParam(this.dataSource, expiresAt),
      ]),
    );
    return null;
  }

  /**
   * reserveWithin in a transaction of its own, for a call that stores nothing before it starts (/v1). On SQLite
   * shared by several processes, a transaction whose write waits for another process's is tried again (whenFree).
   */
  reserve(reservationId: string, items: ReservationItem[], expiresAt: Date, now: Date): Promise<QuotaRefusal | null> {
    return this.whenFree(() =>
      this.transactions.run((manager) => this.reserveWithin(manager, reservationId, items, expiresAt, now)),
    );
  }

  /**
   * Replaces reservation `reservationId` of these items by what the call used, on the counters it was taken on,
   * in the caller's transaction (the one that stores the answer). An item that expired meanwhile was given back
   * already: the use is then added on its own. Items in policy order, as reserve takes them, so that two
   * transactions never wait for each other's rows in turn.
   */
  async settleWithin(
    manager: EntityManager,
    reservationId: string,
    items: ReservationItem[],
    used: { requests: number; tokens: number },
  ): Promise<void> {
    for (const item of items) {
      // Deleted first: whoever deletes it (this, or a sweep giving it back) is the one who adjusts the counter.
      const still = (await this.execute(manager, DELETE_RESERVATION, [reservationId, item.policy.id])) > 0;
      await this.add(
        manager,
        key(item),
        used.requests - (still ? item.requests : 0),
        used.tokens - (still ? item.tokens : 0),
      );
    }
  }

  /** settleWithin in a transaction of its own. */
  settle(reservationId: string, items: ReservationItem[], used: { requests: number; tokens: number }): Promise<void> {
    return this.whenFree(() =>
      this.transactions.run((manager) => this.settleWithin(manager, reservationId, items, used)),
    );
  }

  /**
   * Runs a quota transaction again when SQLite refuses it as busy (another process holding the write lock past
   * the busy timeout), or PostgreSQL ends it as a deadlock (a sweep giving back an expired reservation while a
   * call settles it). Such a transaction wrote nothing: running it again is safe.
   */
  private async whenFree<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= BUSY_ATTEMPTS || !/SQLITE_BUSY|deadlock detected/.test((error as Error).message)) throw error;
        await sleep(2 + Math.random() * 10 * Math.min(attempt, 10));
      }
    }
  }

  /** Gives back every reservation that expired before `now` (those of processes that died mid-call). */
  releaseExpired(now: Date): Promise<number> {
    return this.whenFree(() => this.transactions.run((manager) => this.giveBackExpired(manager, now)));
  }

  private async giveBackExpired(
    manager: EntityManager,
    now: Date,
    of?: { userId: string; policyIds: string[] },
  ): Promise<number> {
    const query = manager
      .getRepository(QuotaReservation)
      .createQueryBuilder('r')
      .where('r.expiresAt < :now', { now: dateParam(this.dataSource, now) });
    if (of) {
      query.andWhere('r.userId = :userId', { userId: of.userId });
      query.andWhere('r.policyId IN (:...policyIds)', { policyIds: of.policyIds });
    }
    const expired = await query.orderBy('r.policyId', 'ASC').getMany();
    let released = 0;
    for (const reservation of expired) {
      const removed = await this.execute(manager, DELETE_RESERVATION, [
        reservation.reservationId,
        reservation.policyId,
      ]);
      if (removed === 0) continue;
      await this.add(manager, reservation, -reservation.requests, -reservation.tokens);
      released++;
    }
    return released;
  }

  /**
   * The items whose policy still exists. The caller's list of policies may be a few seconds old (another process
   * deleted one since): a deleted policy binds no more, and a counter for it could not be made (a foreign key).
   * On PostgreSQL the policies found are held until commit, so that none is deleted before the counters are made.
   */
  private async ofExistingPolicies(manager: EntityManager, items: ReservationItem[]): Promise<ReservationItem[]> {
    const ids = items.map((item) => item.policy.id);
    const hold = this.dataSource.options.type === 'postgres' ? ' FOR KEY SHARE' : '';
    const rows = (await manager.query(
      sqlFor(this.dataSource, `SELECT id FROM quota_policies WHERE id IN (${ids.map(() => '?').join(', ')})${hold}`),
      ids,
    )) as { id: string }[];
    const existing = new Set(rows.map((row) => row.id));
    return existing.size === items.length ? items : items.filter((item) => existing.has(item.policy.id));
  }

  /** Adds every item within its limits, or none: the item refused (the ones before it undone), else null. */
  private async addAll(manager: EntityManager, items: ReservationItem[]): Promise<ReservationItem | null> {
    for (const [i, item] of items.entries()) {
      if (await this.addWithinLimits(manager, item)) continue;
      for (const done of items.slice(0, i)) await this.add(manager, key(done), -done.requests, -done.tokens);
      return item;
    }
    return null;
  }

  private async addWithinLimits(manager: EntityManager, item: ReservationItem): Promise<boolean> {
    const { maxRequests, maxTokens } = item.policy;
    // More than the whole limit never fits; checked here, so that the statement may create a counter unconditionally.
    if ((maxRequests !== null && item.requests > maxRequests) || (maxTokens !== null && item.tokens > maxTokens)) {
      return false;
    }
    const parameters: unknown[] = [item.policy.id, item.userId, item.period, item.requests, item.tokens];
    if (maxRequests !== null) parameters.push(maxRequests);
    if (maxTokens !== null) parameters.push(maxTokens);
    const sql = addWithinLimitsSql(maxRequests !== null, maxTokens !== null);
    return (await this.execute(manager, sql, parameters)) === 1;
  }

  private async add(manager: EntityManager, counter: CounterKey, requests: number, tokens: number): Promise<void> {
    if (requests === 0 && tokens === 0) return;
    const added = Math.min(tokens, MOST_TOKENS_A_CALL);
    await this.execute(manager, ADD, [requests, added, added, counter.policyId, counter.userId, counter.period]);
  }

  private async refusal(manager: EntityManager, item: ReservationItem): Promise<QuotaRefusal> {
    const [counter] = (await manager.query(sqlFor(this.dataSource, READ_COUNTER), [
      item.policy.id,
      item.userId,
      item.period,
    ])) as {
      used_requests: number;
      used_tokens: number;
    }[];
    const usedRequests = Number(counter?.used_requests ?? 0);
    const usedTokens = Number(counter?.used_tokens ?? 0);
    const { maxRequests } = item.policy;
    const overRequests = maxRequests !== null && usedRequests + item.requests > maxRequests;
    return overRequests
      ? { policy: item.policy, usedRequests, usedTokens, limit: 'requests', asked: item.requests }
      : { policy: item.policy, usedRequests, usedTokens, limit: 'tokens', asked: item.tokens };
  }

  /** Runs a write in the caller's transaction; the number of rows it changed. */
  private async execute(manager: EntityManager, sql: string, parameters: unknown[]): Promise<number> {
    const result = (await manager.queryRunner!.query(sqlFor(this.dataSource, sql), parameters, true)) as QueryResult;
    return result.affected ?? 0;
  }
}

function key(item: ReservationItem): CounterKey {
  return { policyId: item.policy.id, userId: item.userId, period: item.period };
}
