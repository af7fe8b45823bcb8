import { Logger } from '@nestjs/common';
import type { GithubProviderSettings } from '../config/sign-in.config';
import { ProviderSignInError } from './auth.errors';
import { messageOf } from './oidc.client';
import type {
  AuthorizationRequest,
  CodeExchange,
  ProviderProfile,
  SignInProviderClient,
} from './sign-in-provider-client';

const TIMEOUT_MS = 10_000;

interface GithubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * GitHub's OAuth 2 web flow (it is not an OpenID provider): the code is exchanged for a token, then the API says
 * who the person is (the numeric id, which unlike the login never changes) and which address is their verified
 * primary one. Works with GitHub Enterprise Server through GITHUB_URL and GITHUB_API_URL.
 */
export class GithubClient implements SignInProviderClient {
  readonly id = 'github';
  readonly label: string;
  private readonly logger = new Logger('SignIn');

  constructor(private readonly settings: GithubProviderSettings) {
    this.label = settings.label;
  }

  authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const url = new URL(`${this.settings.webUrl}/login/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: this.settings.clientId,
      redirect_uri: request.redirectUri,
      scope: 'read:user user:email',
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return Promise.resolve(url);
  }

  async exchange(exchange: CodeExchange): Promise<ProviderProfile> {
    const params = exchange.callbackUrl.searchParams;
    const code = params.get('code');
    if (!code) throw new ProviderSignInError('PROVIDER_DENIED', 'GitHub sent no code');
    const redirectUri = new URL(exchange.callbackUrl.pathname, exchange.callbackUrl).toString();
    const token = await this.call<{ access_token?: unknown; error?: unknown }>(
      `${this.settings.webUrl}/login/oauth/access_token`,
      {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
          code,
          redirect_uri: redirectUri,
          code_verifier: exchange.codeVerifier,
        }).toString(),
      },
    );
    // GitHub answers a refused code with 200 and an `error` field.
    if (typeof token.access_token !== 'string') {
      const reason = typeof token.error === 'string' ? token.error : 'no access token';
      throw new ProviderSignInError('PROVIDER_DENIED', `GitHub refused the code: ${reason}`);
    }
    const api = {
      headers: {
        Accept: 'application/vnd.github+json',
        Authorization: `Bearer ${token.access_token}`,
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': 'Colloquy',
      },
    };
    const user = await this.call<{ id?: unknown; login?: unknown; name?: unknown }>(
      `${this.settings.apiUrl}/user`,
      api,
    );
    const emails = await this.call<GithubEmail[]>(`${this.settings.apiUrl}/user/emails`, api);
    if (typeof user.id !== 'number' || !Array.isArray(emails)) {
      throw this.unavailable('its API answered something else than a user and a list of addresses');
    }
    const primary = emails.find((entry) => entry.primary === true);
    const name = typeof user.name === 'string' && user.name.trim() ? user.name : user.login;
    return {
      issuer: this.settings.webUrl,
      subject: String(user.id),
      email: typeof primary?.email === 'string' ? primary.email : null,
      emailVerified: primary?.verified === true,
      name: typeof name === 'string' ? name : null,
    };
  }

  private async call<T>(url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw this.unavailable(messageOf(error));
    }
    if (!response.ok) throw this.unavailable(`${new URL(url).pathname} answered ${response.status}`);
    try {
      return (await response.json()) as T;
    } catch {
      throw this.unavailable(`${new URL(url).pathname} did not answer JSON`);
    }
  }

  private unavailable(reason: string): ProviderSignInError {
    this.logger.warn(`sign-in with GitHub failed: ${reason}`);
    return new ProviderSignInError('PROVIDER_UNAVAILABLE', 'GitHub did not complete the sign-in');
  }
}
