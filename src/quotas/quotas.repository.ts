import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { dateParam } from '../database/date-param';
import { TransactionRunner } from '../database/transaction-runner';
import { QuotaCounter } from './entities/quota-counter.entity';
import { QuotaPolicy } from './entities/quota-policy.entity';
import { QuotaReservation } from './entities/quota-reservation.entity';

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
}

type CounterKey = Pick<QuotaCounter, 'policyId' | 'userId' | 'period'>;

const COUNTER_KEY = 'policy_id = :policyId AND user_id = :userId AND period = :period';
/** How often a quota transaction that SQLite found busy is tried again, a few milliseconds apart. */
const BUSY_ATTEMPTS = 50;

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

  /**
   * Stores the policy unless one already has its scope, window and model (then null), with what else has to be
   * stored with it (the audit record) in the same transaction.
   */
  insertPolicy(
    policy: Omit<QuotaPolicy, 'id' | 'createdAt'>,
    andThen: (manager: EntityManager, saved: QuotaPolicy) => Promise<void>,
  ): Promise<QuotaPolicy | null> {
    return this.transactions.run(async (manager) => {
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
   * added as reservation `reservationId`; all or nothing. The first statement writes, so that on SQLite shared by
   * several processes the transaction holds the write lock from its start (a read first could not upgrade to a
   * write once another process had written). On PostgreSQL each conditional UPDATE locks its row until commit, so a
   * concurrent one waits and then sees the new total. A refused item undoes the ones before it in the same
   * transaction, which then commits nothing: on SQLite a rollback could undo other requests' statements too.
   */
  reserve(reservationId: string, items: ReservationItem[], expiresAt: Date, now: Date): Promise<QuotaRefusal | null> {
    return this.whenFree(() =>
      this.transactions.run(async (manager) => {
        for (const item of items) {
          await manager
            .createQueryBuilder()
            .insert()
            .into(QuotaCounter)
            .values({
              policyId: item.policy.id,
              userId: item.userId,
              period: item.period,
              usedRequests: 0,
              usedTokens: 0,
            })
            .orIgnore()
            .execute();
        }
        await this.giveBackExpired(manager, now, items[0].userId);
        const added: ReservationItem[] = [];
        for (const item of items) {
          if (await this.addWithinLimits(manager, item)) {
            added.push(item);
            continue;
          }
          for (const done of added) await this.add(manager, key(done), -done.requests, -done.tokens);
          return this.refusal(manager, item);
        }
        await manager.getRepository(QuotaReservation).insert(
          items.map((item) => ({
            reservationId,
            policyId: item.policy.id,
            userId: item.userId,
            period: item.period,
            requests: item.requests,
            tokens: item.tokens,
            expiresAt,
          })),
        );
        return null;
      }),
    );
  }

  /**
   * Replaces reservation `reservationId` by what the call used, on the counters it was taken on. One that has
   * expired meanwhile was given back already: the use is then added on its own.
   */
  settle(reservationId: string, used: { requests: number; tokens: number }): Promise<void> {
    return this.whenFree(() =>
      this.transactions.run(async (manager) => {
        // In policy order, as reserve takes them: two transactions then never wait for each other's rows in turn.
        const held = await manager
          .getRepository(QuotaReservation)
          .find({ where: { reservationId }, order: { policyId: 'ASC' } });
        for (const reservation of held) {
          const removed = await manager.getRepository(QuotaReservation).delete({
            reservationId,
            policyId: reservation.policyId,
          });
          const still = (removed.affected ?? 0) > 0;
          await this.add(
            manager,
            reservation,
            used.requests - (still ? reservation.requests : 0),
            used.tokens - (still ? reservation.tokens : 0),
          );
        }
      }),
    );
  }

  /**
   * Runs a quota transaction again when SQLite refuses it as busy. With several processes on one SQLite file, a
   * transaction whose connection read before it wrote (the connection is shared by every request of a process)
   * cannot take the write lock once another process has committed since, and SQLite says so at once instead of
   * waiting. Such a transaction wrote nothing: running it again is safe. On PostgreSQL, the rare deadlock (a call
   * giving back an expired reservation while another settles) ends one transaction whole, which is run again too.
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

  private async giveBackExpired(manager: EntityManager, now: Date, userId?: string): Promise<number> {
    const query = manager
      .getRepository(QuotaReservation)
      .createQueryBuilder('r')
      .where('r.expiresAt < :now', { now: dateParam(this.dataSource, now) });
    if (userId) query.andWhere('r.userId = :userId', { userId });
    const expired = await query.orderBy('r.policyId', 'ASC').getMany();
    let released = 0;
    for (const reservation of expired) {
      // Deleted first: whoever deletes it (this, or the call settling now) is the one who adjusts the counter.
      const removed = await manager
        .getRepository(QuotaReservation)
        .delete({ reservationId: reservation.reservationId, policyId: reservation.policyId });
      if ((removed.affected ?? 0) === 0) continue;
      await this.add(manager, reservation, -reservation.requests, -reservation.tokens);
      released++;
    }
    return released;
  }

  private async addWithinLimits(manager: EntityManager, item: ReservationItem): Promise<boolean> {
    const query = manager
      .createQueryBuilder()
      .update(QuotaCounter)
      .set({ usedRequests: () => 'used_requests + :requests', usedTokens: () => 'used_tokens + :tokens' })
      .where(COUNTER_KEY, key(item))
      .setParameters({ requests: item.requests, tokens: item.tokens });
    if (item.policy.maxRequests !== null) {
      query.andWhere('used_requests + :requests <= :maxRequests', { maxRequests: item.policy.maxRequests });
    }
    if (item.policy.maxTokens !== null) {
      query.andWhere('used_tokens + :tokens <= :maxTokens', { maxTokens: item.policy.maxTokens });
    }
    return ((await query.execute()).affected ?? 0) === 1;
  }

  private async add(manager: EntityManager, counter: CounterKey, requests: number, tokens: number): Promise<void> {
    if (requests === 0 && tokens === 0) return;
    await manager
      .createQueryBuilder()
      .update(QuotaCounter)
      .set({ usedRequests: () => 'used_requests + :requests', usedTokens: () => 'used_tokens + :tokens' })
      .where(COUNTER_KEY, { policyId: counter.policyId, userId: counter.userId, period: counter.period })
      .setParameters({ requests, tokens })
      .execute();
  }

  private async refusal(manager: EntityManager, item: ReservationItem): Promise<QuotaRefusal> {
    const counter = await manager.getRepository(QuotaCounter).findOneByOrFail(key(item));
    const { maxRequests } = item.policy;
    const overRequests = maxRequests !== null && counter.usedRequests + item.requests > maxRequests;
    return {
      policy: item.policy,
      usedRequests: counter.usedRequests,
      usedTokens: counter.usedTokens,
      limit: overRequests ? 'requests' : 'tokens',
    };
  }
}

function key(item: ReservationItem): CounterKey {
  return { policyId: item.policy.id, userId: item.userId, period: item.period };
}
