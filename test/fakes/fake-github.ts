import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGithubUser {
  id: number;
  login: string;
  name?: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface FakeGithubRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The form fields of a token request; empty otherwise. */
  form: Record<string, string>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking what sign-in with GitHub uses, the way GitHub Enterprise Server lays it
 * out: the web flow at /login/oauth/authorize and /login/oauth/access_token (PKCE S256 checked), and the API under
 * /api/v3 (/user, /user/emails). Point GITHUB_URL at `url` and leave GITHUB_API_URL unset. The authorize page
 * does not ask anything: it signs in whoever `signInAs` last named, as if they were signed in at GitHub and had
 * authorized the app before.
 */
export class FakeGithub {
  readonly requests: FakeGithubRequest[] = [];
  private server?: http.Server;
  private current?: FakeGithubUser;
  private readonly codes = new Map<
    string,
    { user: FakeGithubUser; clientId: string; redirectUri: string; challenge: string }
  >();
  private readonly tokens = new Map<string, FakeGithubUser>();

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  signInAs(user: FakeGithubUser): void {
    this.current = user;
  }

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const form = request.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : {};
    this.requests.push({ method: request.method ?? '', path: url.pathname, headers: request.headers, form });
    const json = (status: number, value: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };

    if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const back = new URL(redirectUri);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      if (!this.current || url.searchParams.get('client_id') !== this.clientId) {
        back.searchParams.set('error', 'access_denied');
      } else {
        const code = randomBytes(10).toString('hex');
        this.codes.set(code, {
          user: this.current,
          clientId: this.clientId,
          redirectUri,
          challenge: url.searchParams.get('code_challenge') ?? '',
        });
        back.searchParams.set('code', code);
      }
      response.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const grant = this.codes.get(form.code ?? '');
      this.codes.delete(form.code ?? '');
      const verifier = createHash('sha256')
        .update(form.code_verifier ?? '')
        .digest('base64url');
      // GitHub answers a refused exchange with 200 and an error field.
      if (
        !grant ||
        form.client_id !== grant.clientId ||
        form.client_secret !== this.clientSecret ||
        form.redirect_uri !== grant.redirectUri ||
        verifier !== grant.challenge
      ) {
        json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
        return;
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      this.tokens.set(token, grant.user);
      json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      return;
    }
    const user = this.tokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (request.method === 'GET' && (url.pathname === '/api/v3/user' || url.pathname === '/api/v3/user/emails')) {
      if (!user) return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/api/v3/user') {
        return json(200, { id: user.id, login: user.login, name: user.name ?? null, email: null });
      }
      return json(
        200,
        user.emails.map((entry) => ({ ...entry, visibility: entry.primary ? 'private' : null })),
      );
    }
    json(404, { message: 'Not Found' });
  }
}
