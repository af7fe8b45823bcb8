import { createTestApp, TestApp } from '../support/create-test-app';

/** The `src`/`href` of every asset the page's HTML loads. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
}

/** The specifiers of a module's static imports and re-exports. */
function importsOf(source: string): string[] {
  return [...source.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

describe('The chat page', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is served at / as HTML, with a strict Content-Security-Policy', async () => {
    const res = await t.http().get('/').expect(200);

    expect(res.headers['content-type']).toContain('text/html');
    expect(res.text).toContain('<title>Colloquy</title>');
    const csp = String(res.headers['content-security-policy']);
    const scriptSrc = csp.split(';').find((directive) => directive.startsWith('script-src '));
    expect(scriptSrc).toBe("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('has no inline script, and loads every asset from its own origin', async () => {
    const html = (await t.http().get('/').expect(200)).text;

    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    const assets = assetsOf(html);
    expect(assets).toEqual(expect.arrayContaining(['/app.css', '/js/main.js', '/favicon.svg']));
    for (const asset of assets) {
      expect(asset).toMatch(/^\/[^/]/);
      await t.http().get(asset).expect(200);
    }
  });

  it('serves every module the page imports, as JavaScript, libraries included', async () => {
    const seen = new Set<string>();
    const queue = ['/js/main.js'];
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await t.http().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers['content-type']).toMatch(/^(application|text)\/javascript/);
      for (const specifier of importsOf(res.text)) {
        // Browsers resolve only URLs here: a bare package name would fail to load.
        expect(specifier).toMatch(/^\.{1,2}\//);
        queue.push(new URL(specifier, `http://page${path}`).pathname);
      }
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        '/js/main.js',
        '/js/markdown.js',
        '/vendor/marked.js',
        '/vendor/purify.js',
        '/vendor/eventsource-parser/stream.js',
        '/vendor/eventsource-parser/index.js',
      ]),
    );
  });

  it('does not serve the type declarations that sit beside the modules', async () => {
    const res = await t.http().get('/vendor/marked.d.ts');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('leaves the API, its JSON 404 and the documentation as they were', async () => {
    await t.http().get('/health').expect(200);
    await t.http().get('/auth/me').expect(401);
    const missing = await t.http().get('/js/no-such-module.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('application/json');
    expect(missing.body.code).toBe('NOT_FOUND');
    const docs = await t.http().get('/docs').expect(200);
    expect(docs.text).toContain('swagger-ui');
    await t.http().get('/docs-json').expect(200);
  });
});
