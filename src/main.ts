import type { NestFastifyApplication } from '@nestjs/platform-fastify';

async function bootstrap(): Promise<void> {
  // Loaded here rather than imported above: loading them validates the configuration, and a start that fails
  // must reach the handler below (Node's own report of an uncaught error prints the bundle's minified source line).
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module.js');
  const { createFastifyAdapter, setupApp } = await import('./app.setup.js');
  const { appConfig } = await import('./config/app.config.js');
  const config = appConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
    bufferLogs: true,
  });
  await setupApp(app, config);
  // SIGTERM drains within SHUTDOWN_GRACE_MS (ShutdownService), then the process exits 0 as platforms expect.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(config.port, config.host);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
