import { Logger } from '@nestjs/common';
import * as client from 'openid-client';
import type { OidcProviderSettings } from '../config/sign-in.config';
import { ProviderSignInError } from './auth.errors';
import type {
  AuthorizationRequest,
  CodeExchange,
  ProviderProfile,
  SignInProviderClient,
} from './sign-in-provider-client';

const TIMEOUT_SECONDS = 10;

/** Some providers (AWS Cognito among them) send `email_verified` as a string. */
const isTrue = (value: unknown) => value === true || value === 'true';
const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/**
 * An OpenID Connect provider: authorization code with PKCE (S256), state and nonce. Discovery runs at the first
 * sign-in, not at start, so a provider that is down does not keep the server from starting; its result is kept,
 * a failure is not (the next sign-in tries again).
 */
export class OidcClient implements SignInProviderClient {
  readonly id: string;
  readonly label: string;
  private configuration?: Promise<client.Configuration>;
  private readonly logger = new Logger('SignIn');

  constructor(private readonly settings: OidcProviderSettings) {
    this.id = settings.id;
    this.label = settings.label;
  }

  get insecure(): boolean {
    return new URL(this.settings.issuer).protocol === 'http:';
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    return client.buildAuthorizationUrl(await this.discover(), {
      redirect_uri: request.redirectUri,
      scope: 'openid email profile',
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      state: request.state,
      nonce: request.nonce,
    });
  }

  async exchange(exchange: CodeExchange): Promise<ProviderProfile> {
    const configuration = await this.discover();
    try {
      const tokens = await client.authorizationCodeGrant(configuration, exchange.callbackUrl, {
        pkceCodeVerifier: exchange.codeVerifier,
        expectedState: exchange.state,
        expectedNonce: exchange.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the token response has no ID token');
      // Many providers put the email only in the userinfo answer unless the client asks for it in the ID token.
      const userInfo =
        text(claims.email) === null || claims.email_verified === undefined
          ? await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)
          : undefined;
      return profileOf(claims, userInfo);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private discover(): Promise<client.Configuration> {
    this.configuration ??= client
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        undefined,
        this.settings.clientSecret ? client.ClientSecretBasic(this.settings.clientSecret) : client.None(),
        {
          // openid-client leaves the signature of an ID token from the token endpoint unchecked, trusting TLS
          // (OpenID Connect Core 3.1.3.7); the README promises the check, and an http issuer has no TLS at all.
          execute: [client.enableNonRepudiationChecks, ...(this.insecure ? [client.allowInsecureRequests] : [])],
          timeout: TIMEOUT_SECONDS,
        },
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        this.logger.warn(`discovery of ${this.settings.issuer} (${this.id}) failed: ${messageOf(error)}`);
        throw new ProviderSignInError('PROVIDER_UNAVAILABLE', `${this.label} cannot be reached`);
      });
    return this.configuration;
  }

  private failure(error: unknown): ProviderSignInError {
    if (error instanceof ProviderSignInError) return error;
    // The provider answered with an OAuth error (the person refused, or the code was not accepted).
    if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
      return new ProviderSignInError('PROVIDER_DENIED', `${this.label} refused: ${error.error}`);
    }
    this.logger.warn(`sign-in with ${this.id} failed: ${messageOf(error)}`);
    return new ProviderSignInError('PROVIDER_UNAVAILABLE', `${this.label} did not complete the sign-in`);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Who the provider says signed in: the ID token's claims first, the userinfo answer for what they lack. Whether
 * the email is verified is taken from the answer that gives that email: a userinfo answer about another address
 * vouches for nothing here.
 */
export function profileOf(claims: client.IDToken, userInfo?: Record<string, unknown>): ProviderProfile {
  const email = text(claims.email) ?? text(userInfo?.email);
  const sameEmail = email !== null && text(userInfo?.email)?.toLowerCase() === email.toLowerCase();
  // Each answer vouches only for the address it gives itself.
  const verified =
    text(claims.email) !== null && claims.email_verified !== undefined
      ? claims.email_verified
      : sameEmail
        ? userInfo?.email_verified
        : undefined;
  return {
    issuer: claims.iss,
    subject: claims.sub,
    email,
    emailVerified: email !== null && isTrue(verified),
    name:
      text(claims.name) ??
      text(claims.preferred_username) ??
      text(userInfo?.name) ??
      text(userInfo?.preferred_username),
  };
}
