'use strict';
/**
 * Reference (c) of scenario 1: the real app (its AppModule, booted exactly as src/main.ts does, with the same
 * Fastify adapter, global pipe, filter, guards, security headers and request logging) plus one bench-only
 * controller whose routes are @Public() and @SkipThrottle() and answer the app's own response bodies from
 * memory: GET /bench/list and GET /bench/history. What it costs over the `node:http` ceiling is the
 * framework's share; nothing in src/ knows about it.
 */
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Controller, Get, Header, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { SkipThrottle } = require('@nestjs/throttler');

const dist = join(__dirname, '..', '..', 'dist');
const { AppModule } = require(join(dist, 'app.module.js'));
const { createFastifyAdapter, setupApp } = require(join(dist, 'app.setup.js'));
const { appConfig } = require(join(dist, 'config', 'app.config.js'));
const { Public } = require(join(dist, 'common', 'decorators', 'public.decorator.js'));

const bodies = JSON.parse(readFileSync(process.env.BENCH_BODIES, 'utf8'));

class BenchController {
  list() {
    return bodies.list;
  }

  history() {
    return bodies.history;
  }
}
for (const [method, path] of [
  ['list', 'list'],
  ['history', 'history'],
]) {
  const descriptor = Object.getOwnPropertyDescriptor(BenchController.prototype, method);
  Reflect.decorate(
    [Public(), SkipThrottle(), Get(path), Header('content-type', 'application/json; charset=utf-8')],
    BenchController.prototype,
    method,
    descriptor,
  );
}
Reflect.decorate([Controller('bench')], BenchController);

class BenchModule {}
Reflect.decorate([Module({ imports: [AppModule], controllers: [BenchController] })], BenchModule);

async function bootstrap() {
  const config = appConfig();
  const app = await NestFactory.create(BenchModule, createFastifyAdapter(config), { bufferLogs: true });
  await setupApp(app, config);
  await app.listen(config.port, config.host);
}

void bootstrap();
