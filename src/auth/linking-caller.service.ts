import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AuthFailuresService } from './auth-failures.service';
import { InvalidTokenError } from './auth.errors';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';
import { bearerToken } from '../common/http/bearer-token';

/**
 * Who asks to link a provider. The page goes to the provider's start by navigating (window.location), so it
 * cannot send an Authorization header; its refresh cookie (Path=/auth) does come along, and is checked without
 * being used up. A REST client sends its access token instead. Refused credentials count against the IP.
 */
@Injectable()
export class LinkingCallerService {
  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly users: UsersService,
    private readonly failures: AuthFailuresService,
  ) {}

  identify(credentials: { authorization?: string; refreshCookie?: string; ip: string }): Promise<User> {
    const bearer = bearerToken(credentials.authorization);
    if (bearer) return this.failures.checkPresented(credentials.ip, () => this.fromAccessToken(bearer));
    const cookie = credentials.refreshCookie;
    if (cookie) return this.failures.checkPresented(credentials.ip, () => this.tokens.userOfLiveSession(cookie));
    return Promise.reject(new InvalidTokenError('sign in first: linking needs an access token or the refresh cookie'));
  }

  private async fromAccessToken(token: string): Promise<User> {
    let payload: { sub?: unknown; sid?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token);
    } catch {
      throw new InvalidTokenError('a valid access token is required');
    }
    const principal = await this.sessions.authenticate(payload);
    return this.users.getById(principal.id);
  }
}
