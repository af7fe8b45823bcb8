import type { TestApp } from './create-test-app';
import { CookieJar } from './oidc-provider';

export const STATE_COOKIE = 'colloquy_signin_state';
export const REFRESH_COOKIE = 'colloquy_refresh';

export interface SetCookie {
  value: string;
  attributes: Record<string, string | true>;
}

/** The cookie `name` a response sets, parsed; undefined when it sets none. */
export function setCookieOf(response: Response, name: string): SetCookie | undefined {
  const line = response.headers.getSetCookie().find((header) => header.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  return {
    value: decodeURIComponent(pair.slice(name.length + 1)),
    attributes: Object.fromEntries(
      attributes.map((attribute) => {
        const [key, ...rest] = attribute.split('=');
        return [key.toLowerCase(), rest.length ? rest.join('=') : true];
      }),
    ),
  };
}

/**
 * A browser's visits to the app: its cookies, and requests that do not follow redirects. The app runs on a
 * random port while PUBLIC_URL (what providers redirect to) names another address, so addresses under
 * PUBLIC_URL are sent to the app.
 */
export class AppBrowser {
  readonly jar = new CookieJar();

  constructor(
    private readonly t: Pick<TestApp, 'url'>,
    private readonly publicUrl: string,
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = path.startsWith(this.publicUrl) ? path.slice(this.publicUrl.length) : path;
    const response = await fetch(`${this.t.url}${url}`, {
      headers: { cookie: this.jar.header(), 'user-agent': 'TestBrowser/1.0', ...headers },
      redirect: 'manual',
    });
    this.jar.store(response);
    return response;
  }

  /** Goes to the provider's start; returns the answer (a redirect to the provider, or to the page). */
  start(provider: string, { link = false, headers = {} }: { link?: boolean; headers?: Record<string, string> } = {}) {
    return this.get(`/auth/oidc/${provider}/start${link ? '?link=1' : ''}`, headers);
  }

  /** Follows the provider's redirect back to the app's callback; returns the answer and where it sends the page. */
  async callback(url: URL): Promise<{ response: Response; location: string }> {
    const response = await this.get(url.toString());
    return { response, location: response.headers.get('location') ?? '' };
  }
}

/** The page's fragment in a callback's redirect, as `{ name: value }` (empty for a plain sign-in). */
export function fragmentOf(location: string): Record<string, string> {
  const hash = new URL(location).hash.slice(1);
  return Object.fromEntries(new URLSearchParams(hash));
}
