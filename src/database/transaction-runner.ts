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
@Injectable()
export class TransactionRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serialise: boolean;

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
}
