import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import * as client from 'openid-client';
import { appConfig } from '../config/app.config';
import { ProviderSignInError } from './auth.errors';

/** How long a person may take at the provider, from start to callback. */
export const SIGN_IN_STATE_TTL_SECONDS = 600;
const AUDIENCE = 'colloquy:provider-sign-in';

/** What a sign-in with another provider must remember between start and callback. */
export interface SignInState {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Linking: the signed-in account to link to, and its session version then (a password change voids it). */
  link?: { userId: string; sessionVersion: number };
}

interface StatePayload {
  p: string;
  s: string;
  n: string;
  v: string;
  u?: string;
  sv?: number;
}

/**
 * Keeps the state of a sign-in in the browser, in a cookie signed with JWT_SECRET (a JWT with an audience of its
 * own, so it is neither taken as an access token nor an access token as it), and nowhere on the server: any
 * process can finish a sign-in that another started.
 */
@Injectable()
export class SignInStateService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** The address the provider sends the browser back to; registered at the provider. */
  callbackUrl(provider: string): string {
    return `${this.app.publicUrl}/auth/oidc/${provider}/callback`;
  }

  /** Where the page is: where every sign-in ends. */
  pageUrl(fragment?: string): string {
    return `${this.app.publicUrl}/${fragment ? `#${fragment}` : ''}`;
  }

  async create(provider: string, link?: SignInState['link']) {
    const state: SignInState = {
      provider,
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      link,
    };
    const payload: StatePayload = {
      p: state.provider,
      s: state.state,
      n: state.nonce,
      v: state.codeVerifier,
      ...(link ? { u: link.userId, sv: link.sessionVersion } : {}),
    };
    const token = await this.jwt.signAsync(payload, { audience: AUDIENCE, expiresIn: SIGN_IN_STATE_TTL_SECONDS });
    return { state, token, codeChallenge: await client.calculatePKCECodeChallenge(state.codeVerifier) };
  }

  /** The state of the cookie, if it is this server's, unexpired and for this provider; else INVALID_STATE. */
  async read(token: string | undefined, provider: string): Promise<SignInState> {
    const invalid = new ProviderSignInError('INVALID_STATE', 'the sign-in expired or did not start here');
    if (!token) throw invalid;
    let payload: Partial<StatePayload>;
    try {
      payload = await this.jwt.verifyAsync<Partial<StatePayload>>(token, { audience: AUDIENCE });
    } catch {
      throw invalid;
    }
    const { p, s, n, v, u, sv } = payload;
    if (p !== provider || typeof s !== 'string' || typeof n !== 'string' || typeof v !== 'string') throw invalid;
    return {
      provider: p,
      state: s,
      nonce: n,
      codeVerifier: v,
      link: typeof u === 'string' && typeof sv === 'number' ? { userId: u, sessionVersion: sv } : undefined,
    };
  }
}
