import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

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
}
