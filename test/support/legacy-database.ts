import argon2 from 'argon2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../../src/config/database.config';
import { buildDataSourceOptions } from '../../src/database/database.options';
import { MIGRATIONS } from '../../src/database/migrations';
import { isolatedDatabaseUrl } from './create-test-app';

export interface LegacyDatabase {
  /** Where the app is then started (createTestApp's `databaseUrl`), which applies the rest of the migrations. */
  url: string;
  postgres: boolean;
  /** Runs SQL written with `?` placeholders on either database. */
  run(sql: string, params: unknown[]): Promise<unknown>;
  /** A time as this database's driver takes it in a raw query. */
  at(date: Date): Date | string;
  /** An enabled admin made a day ago, who signs in with `password` (for schemas with roles and session versions). */
  addAdmin(id: string, email: string, password: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A new database of the suite's kind (a SQLite file, or a PostgreSQL database) with the schema as it was just before
 * `migration`: rows written to it meet that migration when an app starts on `url`.
 */
export async function legacyDatabase(migration: (typeof MIGRATIONS)[number]): Promise<LegacyDatabase> {
  const postgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');
  const url = postgres
    ? await isolatedDatabaseUrl(process.env.DATABASE_URL!)
    : `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-legacy-')), 'old.sqlite')}`;
  const dataSource = await new DataSource({
    ...buildDataSourceOptions(parseDatabaseUrl(url)),
    migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(migration)),
  }).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const run: LegacyDatabase['run'] = (sql, params) => {
    let n = 0;
    return dataSource.query(postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql, params);
  };
  const at: LegacyDatabase['at'] = (date) => (postgres ? date : date.toISOString().replace('T', ' ').slice(0, -1));
  return {
    url,
    postgres,
    run,
    at,
    addAdmin: async (id, email, password) => {
      const created = at(new Date(Date.now() - 86_400_000));
      await run(
        `INSERT INTO users (id, email, password_hash, display_name, role, disabled, settings, session_version,
           created_at, updated_at) VALUES (?, ?, ?, 'Admin', 'admin', ?, '{}', 0, ?, ?)`,
        [id, email, await argon2.hash(password), false, created, created],
      );
    },
    close: () => dataSource.destroy(),
  };
}
