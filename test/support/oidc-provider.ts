import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The claims an account at the test provider has; `sub` is the login typed on its sign-in page. */
export interface AccountClaims {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface OidcClientRegistration {
  clientId: string;
  clientSecret: string;
  /** Every redirect URI the client may use, e.g. `${PUBLIC_URL}/auth/oidc/<provider>/callback`. */
  redirectUris: string[];
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: give it as OIDC_<NAME>_ISSUER. */
  issuer: string;
  /**
   * Makes the provider answer, for this one client. Separate from the start so that the issuer is known before
   * the app starts (the app needs it in its environment) and the redirect URI after (it may hold the app's port).
   */
  registerClient(client: OidcClientRegistration): void;
  /** Sets what the provider says about the account `sub` from now on. Unset accounts have no email. */
  setAccount(sub: string, claims: AccountClaims): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1, with its development sign-in and consent pages: any login
 * with any password signs in as the account of that name, so a real browser can walk through it as a person
 * would, and signInAtProvider can do the same over plain HTTP. Codes need PKCE (S256); the email claims come
 * from the userinfo endpoint, as with most providers. `port`: a fixed one (the issuer is then known in advance).
 */
export async function startOidcProvider({ port = 0 }: { port?: number } = {}): Promise<TestOidcProvider> {
  const accounts = new Map<string, AccountClaims>();
  let handler: http.RequestListener | undefined;
  const server = http.createServer((request, response) => {
    if (handler) return handler(request, response);
    response.writeHead(503).end('no client registered yet');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

  const Provider = await quietly(async () => (await import('oidc-provider')).default);

  return {
    issuer,
    registerClient(client) {
      const provider = quietly(
        () =>
          new Provider(issuer, {
            clients: [
              {
                client_id: client.clientId,
                client_secret: client.clientSecret,
                redirect_uris: client.redirectUris,
                grant_types: ['authorization_code'],
                response_types: ['code'],
                token_endpoint_auth_method: 'client_secret_basic',
              },
            ],
            jwks: { keys: [signingKey] },
            cookies: { keys: [randomBytes(32).toString('hex')] },
            pkce: { required: () => true },
            claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
            features: { devInteractions: { enabled: true } },
            ttl: {
              AccessToken: 600,
              AuthorizationCode: 60,
              IdToken: 600,
              Interaction: 600,
              Session: 3600,
              Grant: 3600,
            },
            findAccount: (_ctx, sub) => ({
              accountId: sub,
              claims: () => ({ sub, ...(accounts.get(sub) ?? {}) }),
            }),
          }),
      );
      // The provider's own notices (development keys, interactions) are not test output.
      provider.on('server_error', () => undefined);
      handler = provider.callback() as http.RequestListener;
    },
    setAccount(sub, claims) {
      accounts.set(sub, claims);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs `work` without oidc-provider's notices about its development defaults (in-memory storage, the development
 * pages, the Node version), which are what a test wants and not test output.
 */
function quietly<T>(work: () => T): T {
  const { warn, info } = console;
  const filter =
    (write: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] !== 'string' || !args[0].startsWith('oidc-provider ')) write(...args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  const restore = () => {
    console.warn = warn;
    console.info = info;
  };
  try {
    const result = work();
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  } catch (error) {
    restore();
    throw error;
  }
}

/** Cookies of one origin, as a browser would keep them (paths and expiry beyond deletion are not modelled). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some(
        (attribute) =>
          /^max-age=0$/i.test(attribute) ||
          (/^expires=/i.test(attribute) && new Date(attribute.slice(8)).getTime() <= Date.now()),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

/**
 * Walks a browser through the provider from its authorization address: the sign-in page (as `sub`, unless the
 * provider still has a session) and the consent page, or the "cancel" link when `deny`. Returns the address the
 * provider finally sends the browser to (the client's redirect URI with code and state, or an error).
 */
export async function signInAtProvider(
  authorizationUrl: string,
  sub: string,
  { deny = false, jar = new CookieJar() }: { deny?: boolean; jar?: CookieJar } = {},
): Promise<URL> {
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers: {
        cookie: jar.header(),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form?.toString(),
      redirect: 'manual',
    });
    jar.store(response);
    form = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      if (url.origin !== origin) return url;
      continue;
    }
    const page = await response.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (response.status !== 200 || !prompt) {
      throw new Error(`the provider answered ${response.status} at ${url.pathname}: ${page.slice(0, 300)}`);
    }
    if (deny) {
      url = new URL(`${url.pathname}/abort`, url);
      continue;
    }
    form = new URLSearchParams(prompt === 'login' ? { prompt, login: sub, password: 'any' } : { prompt });
  }
  throw new Error('the provider did not send the browser back within 20 steps');
}
