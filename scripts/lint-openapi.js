#!/usr/bin/env node
// Lints the OpenAPI document that the built server serves at /docs-json with Redocly's recommended rules
// (redocly.yaml). It reads the built app because the Swagger CLI plugin (nest-cli.json), which documents the DTOs,
// runs only in `nest build`: under Jest the document lacks what the plugin adds. The app boots on an in-memory
// SQLite database and answers through Fastify's inject(), so nothing listens and no file is left behind but
// dist/openapi.json.
const { spawnSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const output = join(dist, 'openapi.json');

async function main() {
  const build = spawnSync(process.execPath, [join(__dirname, 'build-if-needed.js')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;

  writeFileSync(output, await servedDocument());

  const lint = spawnSync(
    process.execPath,
    [require.resolve('@redocly/cli/bin/cli.js'), 'lint', relative(root, output), '--format', 'stylish'],
    {
      cwd: root,
      stdio: 'inherit',
      // Offline and quiet: no usage data sent, no check for a newer version.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
    },
  );
  return lint.status ?? 1;
}

async function servedDocument() {
  // Set before the built modules are loaded, since the configuration is validated when they are.
  Object.assign(process.env, { NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite::memory:' });
  const { NestFactory } = require('@nestjs/core');
  const { AppModule } = require(join(dist, 'app.module.js'));
  const { createFastifyAdapter, setupApp } = require(join(dist, 'app.setup.js'));
  const { appConfig } = require(join(dist, 'config', 'app.config.js'));
  const config = appConfig();
  const app = await NestFactory.create(AppModule, createFastifyAdapter(config), { logger: false });
  try {
    await setupApp(app, config);
    await app.init();
    const fastify = app.getHttpAdapter().getInstance();
    await fastify.ready();
    const response = await fastify.inject({ method: 'GET', url: '/docs-json' });
    if (response.statusCode !== 200) throw new Error(`GET /docs-json answered ${response.statusCode}`);
    return response.body;
  } finally {
    await app.close();
  }
}

main().then(
  (status) => process.exit(status),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
