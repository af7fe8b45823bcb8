import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

export interface TestApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  dataSource: DataSource;
  url: string;
  close: () => Promise<void>;
}

/**
 * Boots the real AppModule through the same setup as main.ts, on this test file's own SQLite database,
 * listening on 127.0.0.1. `env` overrides the environment before the configuration is read.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  Object.assign(process.env, env);
  // Imported only now, so that the overrides above are what the configuration validates.
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../../src/app.module');
  const { createFastifyAdapter, setupApp } = await import('../../src/app.setup');
  const { appConfig } = await import('../../src/config/app.config');
  const config = appConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
    logger: false,
  });
  await setupApp(app, config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    http: () => request(url),
    dataSource: app.get(DataSource),
    url,
    close: () => app.close(),
  };
}
