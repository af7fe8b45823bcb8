import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AdvancedConsoleLogger, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/database.config';
import { MIGRATIONS } from './migrations';
import { sqliteDriver } from './sqlite-driver';

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
    logger: new MigrationLogger(false),
  } as const;
  if (config.type === 'postgres') {
    return { ...common, type: 'postgres', url: config.url, extra: { max: 20 } };
  }
  if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
  return {
    ...common,
    type: 'sqlite',
    driver: sqliteDriver(),
    database: config.path,
    // WAL lets readers run beside the single writer; a busy timeout makes a second writer wait, not fail.
    enableWAL: true,
    busyTimeout: 10_000,
  };
}

/**
 * TypeORM's console logger, without its "Migration ... failed" lines. On SQLite, two processes starting on a new
 * database both run the migrations; the one that loses the race fails on a table the other has just made, and
 * runPendingMigrations waits and goes on from where the winner has got to. That expected failure is not an
 * error to report; a real one is thrown by runPendingMigrations after its attempts and reported by whoever
 * started the migrations (the server's start-up or the CLI).
 */
class MigrationLogger extends AdvancedConsoleLogger {
  override logMigration(message: string): void {
    if (/ failed, error: /.test(message)) return;
    super.logMigration(message);
  }
}
