import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app.error';

/**
 * Runs a unit of work in a transaction. TypeORM's SQLite drivers share a single connection, so two
 * concurrent transactions would interleave on it; on SQLite they are queued and run one at a time.
 * Keep the work short: never call a model or any other remote service inside it.
 * For the same reason, single-row writes elsewhere pass `{ transaction: false }` to `save()`: its own
 * implicit transaction would otherwise interleave with a queued one on the shared connection.
 */
/** At most this many works share a transaction (see runGrouped): the first of a burst need not wait for the last. */
const MAX_GROUP = 100;

/** What has to be stored with a change, in its transaction: the audit record of it. */
export type AlongWith = (manager: EntityManager) => Promise<void>;

type Outcome = { value: unknown } | { refusal: AppError } | { failure: unknown };

interface GroupMember {
  key: string;
  work: (manager: EntityManager) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

@Injectable()
export class TransactionRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serialise: boolean;
  /** The group that works arriving now join, until its transaction starts. */
  private forming?: GroupMember[];

  constructor(private readonly dataSource: DataSource) {
    this.serialise = dataSource.options.type === 'sqlite' || dataSource.options.type === 'better-sqlite3';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialise) return this.dataSource.transaction(work);
    const result = this.tail.then(() => this.dataSource.transaction(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Like run, for work that checks before it writes and may refuse by throwing an AppError (not found, a
   * conflict): the refusal ends the transaction with a COMMIT of nothing, and is thrown afterwards. On SQLite a
   * ROLLBACK would also undo the single statements that other requests ran on the shared connection meanwhile.
   * Never refuse after writing: what was written would be kept.
   */
  async runOrRefuse<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outcome = await this.run(async (manager): Promise<{ value: T } | { refusal: AppError }> => {
      try {
        return { value: await work(manager) };
      } catch (error) {
        if (error instanceof AppError) return { refusal: error };
        throw error;
      }
    });
    if ('refusal' in outcome) throw outcome.refusal;
    return outcome.value;
  }

  /**
   * Like runOrRefuse, for a work that many requests run at once. On SQLite, where transactions run one at a time,
   * the works that arrive while earlier transactions run share the next one: a burst of them costs one commit
   * per group, not one queued transaction each. In it, works with the same `key` (say, the conversation they
   * change) run one after another in arrival order, and the others side by side, so that a group takes about as
   * long as its slowest work, not the sum of them all. A refusal stays the work's own: it wrote nothing, and the
   * works after it go on. A failure undoes the whole group, whose works then run again each in its own
   * transaction, so that only the failing one fails. No work is answered before its group has committed, so a
   * process that dies mid-group has stored none of it and told no one otherwise.
   * Elsewhere (PostgreSQL) each work has its own transaction, as with runOrRefuse: they run side by side anyway.
   */
  runGrouped<T>(key: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialise) return this.runOrRefuse(work);
    return new Promise<T>((resolve, reject) => {
      const member: GroupMember = { key, work, resolve: resolve as (value: unknown) => void, reject };
      if (this.forming && this.forming.length < MAX_GROUP) {
        this.forming.push(member);
        return;
      }
      const group = [member];
      this.forming = group;
      this.run(async (manager) => {
        if (this.forming === group) this.forming = undefined;
        const last = new Map<string, Promise<unknown>>();
        const outcomes = await Promise.all(
          group.map(({ key, work }) => {
            const outcome = (last.get(key) ?? Promise.resolve()).then(() =>
              work(manager).then(
                (value): Outcome => ({ value }),
                (error: unknown): Outcome => (error instanceof AppError ? { refusal: error } : { failure: error }),
              ),
            );
            last.set(key, outcome);
            return outcome;
          }),
        );
        for (const outcome of outcomes) if ('failure' in outcome) throw outcome.failure;
        return outcomes as ({ value: unknown } | { refusal: AppError })[];
      }).then(
        (outcomes) =>
          outcomes.forEach((outcome, i) =>
            'value' in outcome ? group[i].resolve(outcome.value) : group[i].reject(outcome.refusal),
          ),
        (error: unknown) => {
          if (group.length === 1) return group[0].reject(error);
          for (const again of group) this.runOrRefuse(again.work).then(again.resolve, again.reject);
        },
      );
    });
  }
}
