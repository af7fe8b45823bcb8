import { Injectable } from '@nestjs/common';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AccountDisabledError, InvalidCredentialsError } from './auth.errors';
import { LoginAttemptsService } from './login-attempts.service';
import { IssuedTokens, TokensService } from './tokens.service';

export interface Session {
  user: User;
  tokens: IssuedTokens;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly attempts: LoginAttemptsService,
  ) {}

  async register(input: { email: string; password: string; displayName?: string }): Promise<Session> {
    const user = await this.users.create({ ...input, role: 'user' });
    return { user, tokens: await this.tokens.issue(user) };
  }

  /** Checks a sign-in; counts failures per email and IP and refuses while there have been too many. */
  async validateLogin(email: string, password: string, ip: string): Promise<User> {
    this.attempts.assertAllowed(email, ip);
    // Counted before the slow hash check, so guesses sent all at once cannot all get past assertAllowed.
    this.attempts.recordFailure(email, ip);
    const user = await this.users.verifyCredentials(email, password);
    if (!user) throw new InvalidCredentialsError();
    this.attempts.recordSuccess(email, ip);
    if (user.disabled) throw new AccountDisabledError();
    return user;
  }

  async login(user: User): Promise<Session> {
    return { user, tokens: await this.tokens.issue(user) };
  }

  refresh(refreshToken: string): Promise<Session> {
    return this.tokens.rotate(refreshToken);
  }

  logout(refreshToken: string): Promise<void> {
    return this.tokens.revoke(refreshToken);
  }
}
