import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';

export interface TestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  dataSource: DataSource;
  url: string;
  /** The database it runs on: another app given it (see createTestApp) finds what this one stored. */
  databaseUrl: string;
  /** Raw SQL with `?` placeholders, rewritten for PostgreSQL when the suite runs there. */
  query: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

/**
 * Boots the real AppModule through the same setup as main.ts, on this test file's own SQLite database,
 * listening on 127.0.0.1 (on `port`, when its address must be known before it starts, else any free one). `env`
 * overrides the environment before the configuration is read. `databaseUrl` (another app's) starts it on an
 * existing database instead, as a restarted server would.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  { databaseUrl, port = 0 }: { databaseUrl?: string; port?: number } = {},
): Promise<TestApp> {
  Object.assign(process.env, env);
  const database = databaseUrl ?? (await isolatedDatabaseUrl(process.env.DATABASE_URL!));
  process.env.DATABASE_URL = database;
  // Imported only now, so that the overrides above are what the configuration validates.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { appConfig } = require('../../src/config/app.config') as typeof import('../../src/config/app.config');
  // Validated before AppModule is loaded: its configuration module validates too, in a promise that nothing
  // awaits once this throws, and whose rejection would end the whole Jest process without a report.
  const config = appConfig();
  const { NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
  const { AppModule } = require('../../src/app.module') as typeof import('../../src/app.module');
  const { createFastifyAdapter, setupApp } = require('../../src/app.setup') as typeof import('../../src/app.setup');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
    logger: false,
    // A module that fails to start fails this suite, instead of ending the whole Jest run with process.exit.
    abortOnError: false,
  });
  try {
    await setupApp(app, config);
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    // Closed here, since the suite never gets the app to close: an open database or socket keeps Jest running.
    await app.close();
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const dataSource = app.get(DataSource);
  const postgres = dataSource.options.type === 'postgres';
  return {
    app,
    http: () => request(url),
    dataSource,
    url,
    databaseUrl: database,
    query: (sql, params) => {
      let n = 0;
      return dataSource.query(postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql, params);
    },
    close: () => app.close(),
  };
}

/**
 * On PostgreSQL every app gets a new, empty database next to the configured one, so test files can run in
 * parallel and each starts from migrations on an empty schema, as on SQLite.
 */
export async function isolatedDatabaseUrl(url: string): Promise<string> {
  if (!url.startsWith('postgres')) return url;
  const name = `colloquy_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const isolated = new URL(url);
  isolated.pathname = `/${name}`;
  return isolated.toString();
}
