import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ServerBusyError } from '../common/errors/app.error';
import { FixedWindowLimiter } from '../common/throttling/fixed-window-limiter';
import { authConfig } from '../config/auth.config';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AuthFailuresService } from './auth-failures.service';
import { AccountDisabledError, InvalidCredentialsError, TooManyRegistrationsError } from './auth.errors';
import { LoginAttemptsService } from './login-attempts.service';
import { IssuedTokens, TokensService } from './tokens.service';

export interface Session {
  user: User;
  tokens: IssuedTokens;
}

const HOUR_MS = 3_600_000;

@Injectable()
export class AuthService {
  /** Registrations per client IP: each one is a password hash and a new account. */
  private readonly registrations: FixedWindowLimiter;

  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly attempts: LoginAttemptsService,
    private readonly failures: AuthFailuresService,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.registrations = new FixedWindowLimiter(config.registrationsPerHour, HOUR_MS);
  }

  /** Counts every attempt from the IP, taken or not (a taken email costs a hash too), up to REGISTRATIONS_PER_HOUR. */
  async register(input: { email: string; password: string; displayName?: string }, ip: string): Promise<Session> {
    const retryAfter = this.registrations.retryAfterSeconds(ip);
    if (retryAfter > 0) throw new TooManyRegistrationsError(retryAfter);
    this.registrations.hit(ip);
    const user = await this.users.create({ ...input, role: 'user' }).catch((error: unknown) => {
      // Refused before anything was hashed: the attempt does not count.
      if (error instanceof ServerBusyError) this.registrations.undo(ip);
      throw error;
    });
    return { user, tokens: await this.tokens.issue(user) };
  }

  /** Checks a sign-in; counts failures per email and IP, and per IP, and refuses while there have been too many. */
  async validateLogin(email: string, password: string, ip: string): Promise<User> {
    this.attempts.assertAllowed(email, ip);
    // Counted before the slow hash check, so guesses sent all at once cannot all get past assertAllowed.
    this.attempts.recordFailure(email, ip);
    const user = await this.users.verifyCredentials(email, password).catch((error: unknown) => {
      // Refused before the password was checked: not a guess, so not a failure.
      if (error instanceof ServerBusyError) this.attempts.withdrawFailure(email, ip);
      throw error;
    });
    if (!user) throw new InvalidCredentialsError();
    this.attempts.recordSuccess(email, ip);
    if (user.disabled) throw new AccountDisabledError();
    return user;
  }

  async login(user: User): Promise<Session> {
    return { user, tokens: await this.tokens.issue(user) };
  }

  /** A refused refresh token counts against the IP like any refused credential (see AuthFailuresService). */
  refresh(refreshToken: string, ip: string): Promise<Session> {
    return this.failures.checkPresented(ip, () => this.tokens.rotate(refreshToken));
  }

  logout(refreshToken: string, ip: string): Promise<void> {
    return this.failures.checkPresented(ip, () => this.tokens.revoke(refreshToken));
  }
}
