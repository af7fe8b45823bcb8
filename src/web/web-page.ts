import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { dirname, join } from 'node:path';

/** The chat page's own files. Two levels up is the project root from src/web (tests) and dist/web (npm start). */
export const WEB_ROOT = join(__dirname, '..', '..', 'web');

/**
 * Browser builds of the page's libraries, served from the installed packages so that the page loads nothing
 * from another origin and the versions are the locked ones. URL path to [package, file inside its entry's folder].
 */
const VENDOR_MODULES: Record<string, [pkg: string, file: string]> = {
  '/vendor/marked.js': ['marked', 'marked.esm.js'],
  '/vendor/purify.js': ['dompurify', 'purify.es.mjs'],
  '/vendor/eventsource-parser/index.js': ['eventsource-parser', 'index.js'],
  '/vendor/eventsource-parser/stream.js': ['eventsource-parser', 'stream.js'],
};

/**
 * Serves the chat page at / beside the API. Each file gets its own route (no wildcard), so an unknown path
 * still reaches the API's JSON 404 and nothing shadows /docs or an API route.
 */
export async function serveWebPage(app: NestFastifyApplication): Promise<void> {
  await app.register(async (instance: FastifyInstance) => {
    await instance.register(fastifyStatic, {
      root: WEB_ROOT,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
      // The type declarations beside the page's modules are for checking them, not for browsers.
      globIgnore: ['**/*.d.ts'],
    });
    for (const [path, [pkg, file]] of Object.entries(VENDOR_MODULES)) {
      const folder = dirname(require.resolve(pkg));
      instance.get(path, (_request, reply) => reply.sendFile(file, folder));
    }
  });
}
