import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { docx, pdf } from '../support/files';
import { waitFor } from '../support/wait-for';
import { signInAtProvider, startOidcProvider } from '../support/oidc-provider';
import { AppBrowser, REFRESH_COOKIE, setCookieOf } from '../support/provider-sign-in';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/**
 * The app as tsc and the Swagger plugin compiled it, loaded file by file as before there was a bundle: what
 * src/main.ts does, from dist/.
 */
const UNBUNDLED = `
  const { NestFactory } = require('@nestjs/core');
  const { AppModule } = require('./dist/app.module');
  const { createFastifyAdapter, setupApp } = require('./dist/app.setup');
  const { appConfig } = require('./dist/config/app.config');
  (async () => {
    const config = appConfig();
    const app = await NestFactory.create(AppModule, createFastifyAdapter(config), { bufferLogs: true });
    await setupApp(app, config);
    await app.listen(config.port, config.host);
  })();
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Runs Node with `args` in production mode on a database of its own. */
function spawnNode(args: string[], env: Record<string, string> = {}): Omit<Server, 'url'> {
  let output = '';
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      JWT_SECRET: 'production-build-test-secret-long-enough-0123456789',
      LOG_LEVEL: 'warn',
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-build-')), 'app.sqlite')}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function startServer(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const { child, output } = spawnNode(args, { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited:\n${output()}`);
    const healthy = await fetch(`${url}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (healthy) return { child, url, output };
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`${args.join(' ')} did not become healthy:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function get(server: Server, path: string): Promise<{ path: string; status: number; body: string }> {
  const res = await fetch(`${server.url}${path}`);
  return { path, status: res.status, body: await res.text() };
}

describe('the production build (npm start)', () => {
  beforeAll(async () => {
    await run(process.execPath, ['scripts/build-if-needed.js'], { cwd: root });
  }, 180_000);

  describe('serving', () => {
    const servers: Server[] = [];
    let built: Server;
    let unbundled: Server;

    beforeAll(async () => {
      servers.push(...(await Promise.all([startServer(['dist/main.js']), startServer(['-e', UNBUNDLED])])));
      [built, unbundled] = servers;
    }, 120_000);

    afterAll(() => {
      for (const server of servers) server.child.kill();
    });

    it('answers the health check with the database up', async () => {
      const res = await get(built, '/health');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    });

    it('serves the same OpenAPI document, byte for byte, as the unbundled app', async () => {
      for (const path of ['/docs-json', '/docs-yaml']) {
        const [fromBundle, expected] = await Promise.all([get(built, path), get(unbundled, path)]);
        expect(fromBundle.status).toBe(200);
        expect(fromBundle).toEqual(expected);
      }
    });

    it('keeps the quotes of the examples the Swagger plugin writes into the document', async () => {
      const doc = JSON.parse((await get(built, '/docs-json')).body) as {
        components: { schemas: Record<string, { properties?: Record<string, { example?: unknown }> }> };
      };
      const examples = Object.entries(doc.components.schemas).flatMap(([schema, { properties = {} }]) =>
        Object.entries(properties).map(([property, { example }]) => ({ at: `${schema}.${property}`, example })),
      );
      // A JSDoc @example with escaped quotes once came out as {\city\:\Lisbon\}.
      expect(examples.filter(({ example }) => typeof example === 'string' && example.includes('\\'))).toEqual([]);
      const schemas = doc.components.schemas;
      for (const schema of ['ChatCompletionToolCallFunctionDto', 'ChatCompletionFunctionCallDto']) {
        expect(JSON.parse(schemas[schema].properties!.arguments.example as string)).toEqual({ city: 'Lisbon' });
      }
      expect(schemas.OpenAiErrorDetailDto.properties!.message.example).toContain('"openai/gpt-5"');
    });

    it('documents query parameters that have a default, such as limit, as ones that may be left out', async () => {
      const doc = JSON.parse((await get(built, '/docs-json')).body) as {
        paths: Record<
          string,
          Record<string, { parameters?: { name: string; required?: boolean; description?: string; schema?: object }[] }>
        >;
      };
      const parameters = Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.entries(operations).flatMap(([method, { parameters = [] }]) =>
          parameters.map((parameter) => ({ at: `${method} ${path} ${parameter.name}`, ...parameter })),
        ),
      );
      const limits = parameters.filter(({ name }) => name === 'limit');
      expect(limits.length).toBeGreaterThan(10);
      expect(parameters.filter(({ required, schema }) => required && schema && 'default' in schema)).toEqual([]);
      expect(parameters.find(({ at }) => at === 'get /conversations archived')).toMatchObject({ required: false });
      // And every cursor says what a made-up one gets.
      const cursors = parameters.filter(({ name }) => name === 'cursor');
      expect(cursors.length).toBe(limits.length);
      for (const cursor of cursors)
        expect(cursor).toMatchObject({ description: expect.stringContaining('INVALID_CURSOR') });
    });

    it('reads the text of uploads in its worker thread, and sends it with a message', async () => {
      const auth = await fetch(`${built.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'files@example.com', password: 'correct-horse-1' }),
      });
      const headers = { authorization: `Bearer ${((await auth.json()) as { accessToken: string }).accessToken}` };
      const uploadFile = async (bytes: Buffer, name: string): Promise<string> => {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(bytes)]), name);
        const res = await fetch(`${built.url}/files`, { method: 'POST', headers, body: form });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      };
      const ids = [
        await uploadFile(pdf('Words from a PDF'), 'a.pdf'),
        await uploadFile(await docx(['Words from a DOCX']), 'b.docx'),
      ];
      for (const id of ids) {
        const file = await waitFor(
          async () => (await fetch(`${built.url}/files/${id}`, { headers })).json() as Promise<{ status: string }>,
          (body) => body.status !== 'processing',
          30_000,
        );
        expect(file).toMatchObject({ status: 'ready', error: null });
      }

      const conversation = await fetch(`${built.url}/conversations`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo/echo' }),
      });
      const { id } = (await conversation.json()) as { id: string };
      const sent = await fetch(`${built.url}/conversations/${id}/messages`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'Read these.', fileIds: ids }),
      });
      expect(sent.status).toBe(201);
      // The echo model answers with the user message it was sent, documents included.
      const answer = ((await sent.json()) as { assistantMessage: { content: string } }).assistantMessage.content;
      expect(answer).toContain('Words from a PDF');
      expect(answer).toContain('Words from a DOCX');
    }, 60_000);

    it('serves the files it reads from disk: the chat page, its libraries and Swagger UI', async () => {
      for (const path of ['/', '/js/main.js', '/vendor/marked.js', '/docs', '/docs/swagger-ui.css']) {
        const [fromBundle, expected] = await Promise.all([get(built, path), get(unbundled, path)]);
        expect(fromBundle.status).toBe(200);
        expect(fromBundle).toEqual(expected);
      }
    });
  });

  it('keeps a compile cache between starts, and starts as well with a damaged one', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'colloquy-compile-cache-'));
    const cacheFiles = () =>
      readdirSync(cacheDir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name));
    const stopped = (server: Server) =>
      new Promise<void>((resolve) => {
        server.child.once('exit', () => resolve());
        server.child.kill('SIGTERM');
      });

    const first = await startServer(['dist/main.js'], { NODE_COMPILE_CACHE: cacheDir });
    // The cache is written once the start-up code has run, a moment after the server answers.
    for (let waited = 0; cacheFiles().length === 0 && waited < 20_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stopped(first);
    const written = cacheFiles();
    expect(written.length).toBeGreaterThan(0);

    for (const file of written) writeFileSync(file, 'not a code cache');
    const second = await startServer(['dist/main.js'], { NODE_COMPILE_CACHE: cacheDir });
    expect((await get(second, '/health')).status).toBe(200);
    await stopped(second);
    expect(cacheFiles().some((file) => statSync(file).size > 'not a code cache'.length)).toBe(true);
  }, 120_000);

  it('signs in with an OpenID provider (openid-client runs from the bundle)', async () => {
    const publicUrl = 'http://colloquy.test';
    const op = await startOidcProvider();
    op.registerClient({
      clientId: 'colloquy',
      clientSecret: 'bundle-client-secret',
      redirectUris: [`${publicUrl}/auth/oidc/keycloak/callback`],
    });
    op.setAccount('bundled', { email: 'bundled@example.com', email_verified: true });
    const server = await startServer(['dist/main.js'], {
      PUBLIC_URL: publicUrl,
      OIDC_PROVIDERS: 'keycloak',
      OIDC_KEYCLOAK_ISSUER: op.issuer,
      OIDC_KEYCLOAK_CLIENT_ID: 'colloquy',
      OIDC_KEYCLOAK_CLIENT_SECRET: 'bundle-client-secret',
    });
    try {
      const browser = new AppBrowser(server, publicUrl);
      const started = await browser.start('keycloak');
      expect(started.headers.get('location')).toMatch(new RegExp(`^${op.issuer}/auth\\?`));
      const { response, location } = await browser.callback(
        await signInAtProvider(started.headers.get('location')!, 'bundled'),
      );
      expect(location).toBe(`${publicUrl}/`);
      expect(setCookieOf(response, REFRESH_COOKIE)).toBeDefined();
    } finally {
      server.child.kill();
      await op.close();
    }
  }, 60_000);

  it('stops at a bad setting with its message and stack, not with the bundle line that threw', async () => {
    // A secret too short for production stops the server while its modules load.
    const { child, output } = spawnNode(['dist/main.js'], { PORT: '0', JWT_SECRET: 'short' });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output()).toMatch(
      /^Error: Invalid configuration:\n {2}JWT_SECRET: JWT_SECRET must be at least 32 characters long\n/,
    );
    expect(output()).toMatch(/at validateEnv \(.*src[/\\]config[/\\]env\.validation\.ts:\d+:\d+\)/);
    // Node's own report of an uncaught error starts with the line that threw: in the bundle, thousands of
    // characters of minified code.
    expect(
      output()
        .split('\n')
        .filter((line) => line.length > 400),
    ).toEqual([]);
  });

  it('stops at start naming the variable, with the TypeScript sources in the stack trace', async () => {
    // An OpenID provider's missing setting is found while Nest builds the configuration module.
    const { child, output } = spawnNode(['dist/main.js'], {
      PORT: '0',
      OIDC_PROVIDERS: 'keycloak',
      OIDC_KEYCLOAK_CLIENT_ID: 'colloquy',
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    // Nest's logger colours what it prints.
    const text = stripVTControlCharacters(output());
    expect(text).toContain('OIDC_KEYCLOAK_ISSUER: is required');
    expect(text).toMatch(/at signInProvidersFrom \(.*src[/\\]config[/\\]sign-in\.config\.ts:\d+:\d+\)/);
    // Every frame names a file that is there to open: ours in src/, the dependencies' in node_modules.
    const files = [...text.matchAll(/\(([^()]+):\d+:\d+\)/g)]
      .map((match) => match[1])
      .filter((file) => !file.startsWith('node:'));
    expect(files).toContainEqual(expect.stringMatching(/node_modules[/\\]@nestjs[/\\]config[/\\]/));
    expect(files.filter((file) => !existsSync(file))).toEqual([]);
  });
});
