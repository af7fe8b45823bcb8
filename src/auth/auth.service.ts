import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isEmail } from 'class-validator';
import { ServerBusyError } from '../common/errors/app.error';
import { addressGroup } from '../common/throttling/address-group';
import { WindowCounter, WindowCounters } from '../common/throttling/window-counters';
import { authConfig } from '../config/auth.config';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AuthFailuresService } from './auth-failures.service';
import {
  AccountDisabledError,
  InvalidCredentialsError,
  RegistrationClosedError,
  TooManyRegistrationsError,
} from './auth.errors';
import { LoginAttemptsService } from './login-attempts.service';
import { SignInEvents } from './sign-in-events.service';
import type { SessionClient } from './session-client';
import { SignInProvidersService } from './sign-in-providers.service';
import { IssuedTokens, SignInHow, TokensService } from './tokens.service';

export interface Session {
  user: User;
  tokens: IssuedTokens;
}

const HOUR_MS = 3_600_000;

@Injectable()
export class AuthService {
  /** Registrations per client IP: each one is a password hash and a new account. */
  private readonly registrations: WindowCounter;
  private readonly allowRegistration: boolean;

  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly attempts: LoginAttemptsService,
    private readonly failures: AuthFailuresService,
    private readonly signInProviders: SignInProvidersService,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    counters: WindowCounters,
    private readonly events: SignInEvents,
  ) {
    this.registrations = counters.create({
      name: 'registrations',
      limit: config.registrationsPerHour,
      windowMs: HOUR_MS,
    });
    this.allowRegistration = config.allowRegistration;
  }

  /** How people may sign in here: whether they may sign up, and the other providers. */
  providers(): { registration: boolean; items: { id: string; label: string }[] } {
    return { registration: this.allowRegistration, items: this.signInProviders.list() };
  }

  /** Counts every attempt from the IP, taken or not (a taken email costs a hash too), up to REGISTRATIONS_PER_HOUR. */
  async register(
    input: { email: string; password: string; displayName?: string },
    ip: string,
    client: SessionClient,
  ): Promise<Session> {
    if (!this.allowRegistration) throw new RegistrationClosedError();
    const network = addressGroup(ip);
    const retryAfter = await this.registrations.take(network);
    if (retryAfter > 0) throw new TooManyRegistrationsError(retryAfter);
    const user = await this.users.create({ ...input, role: 'user' }).catch(async (error: unknown) => {
      // Refused before anything was hashed: the attempt does not count.
      if (error instanceof ServerBusyError) await this.registrations.undo(network);
      throw error;
    });
    return { user, tokens: await this.tokens.issue(user, client, { method: 'registration' }) };
  }

  /** Checks a sign-in; counts failures per email and IP, and per IP, and refuses while there have been too many. */
  async validateLogin(email: string, password: string, ip: string): Promise<User> {
    try {
      const user = await this.checkLogin(email, password, ip);
      this.events.passed('password', user.totpEnabledAt ? 'mfa_required' : 'success');
      return user;
    } catch (error) {
      // The address typed, so an admin sees which account was tried; only when it is one: with the fields swapped,
      // what was typed as the email is the password, which must never be kept.
      const typed = email.trim().toLowerCase().slice(0, 254);
      await this.events.refused('password', error, isEmail(typed) ? { email: typed } : {});
      throw error;
    }
  }

  private async checkLogin(email: string, password: string, ip: string): Promise<User> {
    await this.attempts.recordAttempt(email, ip);
    const user = await this.users.verifyCredentials(email, password).catch(async (error: unknown) => {
      // Refused before the password was checked: not a guess, so not a failure.
      if (error instanceof ServerBusyError) await this.attempts.withdrawFailure(email, ip);
      throw error;
    });
    if (!user) throw new InvalidCredentialsError();
    // With two-factor on, the failures are forgotten only after the code: a good password alone must not reset the
    // count that wrong codes add to. This attempt itself is taken back, as the password was right.
    if (user.totpEnabledAt) await this.attempts.withdrawFailure(email, ip);
    else await this.attempts.recordSuccess(email, ip);
    if (user.disabled) throw new AccountDisabledError();
    return user;
  }

  async login(user: User, client: SessionClient, how: SignInHow = { method: 'password' }): Promise<Session> {
    return { user, tokens: await this.tokens.issue(user, client, how) };
  }

  /** A refused refresh token counts against the IP like any refused credential (see AuthFailuresService). */
  refresh(refreshToken: string, ip: string, client: SessionClient): Promise<Session> {
    return this.failures.checkPresented(ip, () => this.tokens.rotate(refreshToken, client));
  }

  logout(refreshToken: string, ip: string): Promise<void> {
    return this.failures.checkPresented(ip, () => this.tokens.revoke(refreshToken));
  }
}
