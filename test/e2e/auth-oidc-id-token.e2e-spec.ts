import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from '../support/create-test-app';
import { AppBrowser, fragmentOf, REFRESH_COOKIE, setCookieOf } from '../support/provider-sign-in';

const PUBLIC_URL = 'http://colloquy.test';
const CLIENT_ID = 'colloquy';

/**
 * A provider that signs its ID tokens with the key it publishes, or, once told to, with another key under the
 * published key's id: what someone who can answer in the provider's place (no TLS, or a hijacked token endpoint)
 * would send. Everything else in the token is right (issuer, audience, nonce, times, a verified email).
 */
async function startProvider() {
  const published = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const nonces = new Map<string, string>();
  const state = { signWith: published.privateKey, email: '', people: 0 };
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const url = new URL(request.url!, issuer);
      const json = (value: unknown) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (url.pathname === '/.well-known/openid-configuration') {
        return json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (url.pathname === '/jwks') {
        return json({
          keys: [{ ...published.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }],
        });
      }
      if (url.pathname === '/authorize') {
        // Signs the person in at once: what the test looks at is the answer of the token endpoint.
        const code = randomBytes(12).toString('hex');
        nonces.set(code, url.searchParams.get('nonce')!);
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state')!);
        return response.writeHead(302, { location: back.toString() }).end();
      }
      if (url.pathname === '/token') {
        const code = new URLSearchParams(body).get('code')!;
        const now = Math.floor(Date.now() / 1000);
        const claims = {
          iss: issuer,
          aud: CLIENT_ID,
          sub: `person-${state.people}`,
          iat: now,
          exp: now + 300,
          nonce: nonces.get(code),
          email: state.email,
          email_verified: true,
        };
        const unsigned = [{ alg: 'RS256', kid: 'k1', typ: 'JWT' }, claims]
          .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
          .join('.');
        const signature = createSign('RSA-SHA256').update(unsigned).sign(state.signWith).toString('base64url');
        return json({
          access_token: 'access',
          token_type: 'Bearer',
          expires_in: 300,
          id_token: `${unsigned}.${signature}`,
        });
      }
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    /** The next tokens are for `email`, signed with the published key or another one. */
    next(email: string, key: 'published' | 'unpublished') {
      state.email = email;
      state.people += 1;
      state.signWith = key === 'published' ? published.privateKey : other.privateKey;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Sign-in with an OpenID Connect provider: what the ID token must hold', () => {
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let t: TestApp;

  beforeAll(async () => {
    provider = await startProvider();
    t = await createTestApp({
      PUBLIC_URL,
      OIDC_PROVIDERS: 'Corp',
      OIDC_CORP_ISSUER: provider.issuer,
      OIDC_CORP_CLIENT_ID: CLIENT_ID,
      OIDC_CORP_CLIENT_SECRET: 'client-secret-0123456789',
    });
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });

  async function signIn(email: string, key: 'published' | 'unpublished') {
    provider.next(email, key);
    const browser = new AppBrowser(t, PUBLIC_URL);
    const started = await browser.start('corp');
    expect(started.status).toBe(302);
    const atProvider = await fetch(started.headers.get('location')!, { redirect: 'manual' });
    return browser.callback(new URL(atProvider.headers.get('location')!));
  }

  const accountsWith = async (email: string) =>
    Number((await t.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM users WHERE email = ?', [email]))[0].n);

  it('signs in with a token signed by a key the provider publishes', async () => {
    const { response, location } = await signIn('signed@example.com', 'published');
    expect(location).toBe(`${PUBLIC_URL}/`);
    expect(setCookieOf(response, REFRESH_COOKIE)?.value).toBeTruthy();
    expect(await accountsWith('signed@example.com')).toBe(1);
  });

  it('makes no account for an address that sign-up would refuse, however verified', async () => {
    for (const email of ['not an email', `${'a'.repeat(250)}@example.com`]) {
      const { location } = await signIn(email, 'published');
      expect(fragmentOf(location)).toEqual({ 'signin-error': 'EMAIL_NOT_VERIFIED' });
      expect(await accountsWith(email)).toBe(0);
    }
  });

  it('refuses a token signed with any other key, and makes no account', async () => {
    const { response, location } = await signIn('forged@example.com', 'unpublished');
    expect(fragmentOf(location)).toEqual({ 'signin-error': 'PROVIDER_UNAVAILABLE' });
    expect(setCookieOf(response, REFRESH_COOKIE)?.value).toBeFalsy();
    expect(await accountsWith('forged@example.com')).toBe(0);
  });
});
