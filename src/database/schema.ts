import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, Migration } from 'typeorm';

/** Any constant shared by every process of this application; it names the PostgreSQL advisory lock. */
const MIGRATION_LOCK_ID = 0x636f6c6c;
/** How often a SQLite process that lost the migration race tries again, 100 ms apart. */
const SQLITE_MIGRATION_ATTEMPTS = 100;

/**
 * Applies pending migrations so that several processes starting at once on one database (behind a load
 * balancer, or a rolling restart) neither fail nor apply anything twice.
 * PostgreSQL: a session-level advisory lock makes the others wait, and they then find nothing pending.
 * SQLite: the file lock already serialises writers; a process that loses the race sees its migration fail
 * on the tables the winner created, and is fine once nothing is pending any more.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  if (dataSource.options.type === 'postgres') {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
      await runner.release();
    }
  }
  // A loser may fail while the winner is still between two migrations: it waits and tries again from where
  // the winner has got to, until nothing is pending (or the failure is not the race's).
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } catch (error) {
      if (!(await dataSource.showMigrations())) return [];
      if (attempt >= SQLITE_MIGRATION_ATTEMPTS) throw error;
      await sleep(100);
    }
  }
}

/** Drops every table. Virtual tables go first: their shadow tables cannot be dropped on their own. */
export async function dropAllTables(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type === 'sqlite') {
    const virtual = await dataSource.query<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'",
    );
    for (const { name } of virtual) await dataSource.query(`DROP TABLE "${name.replace(/"/g, '""')}"`);
  }
  await dataSource.dropDatabase();
}
