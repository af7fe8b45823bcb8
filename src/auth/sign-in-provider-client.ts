/** What a provider tells about the person who signed in there. */
export interface ProviderProfile {
  /** Who vouches for the subject: the OpenID issuer, or the GitHub server's address. */
  issuer: string;
  subject: string;
  email: string | null;
  /** The provider says the person controls `email` (OpenID `email_verified`, GitHub's verified primary address). */
  emailVerified: boolean;
  name: string | null;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

export interface CodeExchange {
  /** The callback's address as the provider sent the browser to it: the redirect URI and its query. */
  callbackUrl: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * One configured provider, spoken to over its own protocol. Failures are ProviderSignInErrors:
 * PROVIDER_UNAVAILABLE (unreachable, misconfigured, an answer that does not check out) or PROVIDER_DENIED.
 */
export interface SignInProviderClient {
  readonly id: string;
  readonly label: string;
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  exchange(exchange: CodeExchange): Promise<ProviderProfile>;
}
