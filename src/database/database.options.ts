import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/database.config';
import { MIGRATIONS } from './migrations';

/**
 * The same options serve the server, the CLI and the tests; migrations are applied by runPendingMigrations.
 * No entities: each feature module registers its own, and DatabaseModule loads whatever was registered.
 */
export function buildDataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  const common = {
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  } as const;
  if (config.type === 'postgres') {
    return { ...common, type: 'postgres', url: config.url, extra: { max: 20 } };
  }
  if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
  return {
    ...common,
    type: 'sqlite',
    driver: quietSqlite3(),
    database: config.path,
    // WAL lets readers run beside the single writer; a busy timeout makes a second writer wait, not fail.
    enableWAL: true,
    busyTimeout: 10_000,
  };
}

/**
 * TypeORM calls `verbose()` on the sqlite3 module, which wraps every query call to capture a stack trace and
 * `util.inspect` its arguments, for richer error stacks. That cost about a fifth of the CPU of a simple
 * authenticated read in a profile; errors still carry the SQL through TypeORM's QueryFailedError.
 */
function quietSqlite3(): typeof sqlite3 {
  return Object.assign(Object.create(sqlite3) as typeof sqlite3, { verbose: () => sqlite3 });
}
