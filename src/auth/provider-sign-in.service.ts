import { Injectable, Logger } from '@nestjs/common';
import { AuthService, Session } from './auth.service';
import { ProviderSignInError } from './auth.errors';
import { IdentitiesService } from './identities.service';
import { LinkingCallerService } from './linking-caller.service';
import { MfaService } from './mfa.service';
import { messageOf } from './oidc.client';
import type { SessionClient } from './session-client';
import { SignInProvidersService } from './sign-in-providers.service';
import { SignInEvents } from './sign-in-events.service';
import { SignInStateService } from './sign-in-state.service';

/** How a callback ends: a new session, the second step of a two-factor sign-in, a link, or a refusal. */
export type ProviderSignInOutcome =
  | { kind: 'signed-in'; session: Session }
  | { kind: 'mfa-required'; mfaToken: string }
  | { kind: 'linked'; provider: string }
  | { kind: 'refused'; code: ProviderSignInError['code'] };

export interface StartedSignIn {
  /** The provider's authorization address, or the page with `#signin-error=` when the provider cannot be used. */
  location: string;
  /** The signed state to keep in the browser until the callback; none when the sign-in could not start. */
  stateToken: string | null;
}

/** Sign-in with OpenID Connect providers and GitHub: authorization code with PKCE, state and nonce. */
@Injectable()
export class ProviderSignInService {
  private readonly logger = new Logger('SignIn');

  constructor(
    private readonly providers: SignInProvidersService,
    private readonly states: SignInStateService,
    private readonly identities: IdentitiesService,
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
    private readonly callers: LinkingCallerService,
    private readonly events: SignInEvents,
  ) {}

  /**
   * The provider's address to send the browser to. Unknown provider: 404; linking without a live sign-in: 401.
   * `link` carries the caller's credentials when the sign-in is to link the provider to their account.
   */
  async start(
    providerId: string,
    link: { authorization?: string; refreshCookie?: string; ip: string } | null,
  ): Promise<StartedSignIn> {
    const provider = this.providers.get(providerId);
    const caller = link ? await this.callers.identify(link) : null;
    const { state, token, codeChallenge } = await this.states.create(
      provider.id,
      caller ? { userId: caller.id, sessionVersion: caller.sessionVersion } : undefined,
    );
    try {
      const url = await provider.authorizationUrl({
        redirectUri: this.states.callbackUrl(provider.id),
        state: state.state,
        nonce: state.nonce,
        codeChallenge,
      });
      return { location: url.toString(), stateToken: token };
    } catch (error) {
      if (!(error instanceof ProviderSignInError)) throw error;
      return { location: this.states.pageUrl(`signin-error=${error.code}`), stateToken: null };
    }
  }

  /**
   * Finishes a sign-in at the callback. Every failure is a refusal with a code for the page, never a throw: the
   * callback is a browser navigation, which a JSON error would leave on a blank page.
   */
  async complete(
    providerId: string,
    stateToken: string | undefined,
    query: Record<string, string>,
    client: SessionClient,
  ): Promise<ProviderSignInOutcome> {
    const provider = this.providers.find(providerId);
    // Not a sign-in attempt (no provider was asked): refused without an audit record, so that requests for made-up
    // provider ids cannot fill the log.
    if (!provider) return { kind: 'refused', code: 'SIGN_IN_PROVIDER_NOT_FOUND' };
    try {
      const state = await this.states.read(stateToken, provider.id);
      if (query.error) {
        throw new ProviderSignInError('PROVIDER_DENIED', `${provider.label} answered ${query.error.slice(0, 64)}`);
      }
      if (query.state !== state.state) {
        throw new ProviderSignInError('INVALID_STATE', 'the answer is not for the sign-in this browser started');
      }
      const callbackUrl = new URL(this.states.callbackUrl(provider.id));
      for (const [name, value] of Object.entries(query)) callbackUrl.searchParams.append(name, value);
      const profile = await provider.exchange({
        callbackUrl,
        state: state.state,
        nonce: state.nonce,
        codeVerifier: state.codeVerifier,
      });
      if (state.link) {
        await this.identities.link(state.link, provider.id, profile);
        return { kind: 'linked', provider: provider.id };
      }
      const user = await this.identities.signIn(provider.id, profile);
      // A provider vouches for the first factor only: two-factor sign-in still asks for its code.
      if (user.totpEnabledAt) {
        this.events.passed('provider', 'mfa_required');
        return { kind: 'mfa-required', mfaToken: await this.mfa.issueToken(user) };
      }
      const session = await this.auth.login(user, client, { method: 'provider', provider: provider.id });
      this.events.passed('provider', 'success');
      return { kind: 'signed-in', session };
    } catch (error) {
      if (!(error instanceof ProviderSignInError)) {
        this.logger.error(`sign-in with ${providerId} failed: ${messageOf(error)}`);
      }
      const refusal =
        error instanceof ProviderSignInError
          ? error
          : new ProviderSignInError('PROVIDER_UNAVAILABLE', 'the sign-in could not be completed');
      await this.events.refused('provider', refusal, { provider: provider.id });
      return { kind: 'refused', code: refusal.code };
    }
  }

  /** The page's address, with what it should show in its fragment. */
  pageUrl(fragment?: string): string {
    return this.states.pageUrl(fragment);
  }
}
