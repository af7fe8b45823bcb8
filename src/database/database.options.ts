import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
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
