import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditLog } from '../common/audit/audit-log.service';
import { authConfig } from '../config/auth.config';
import { TransactionRunner } from '../database/transaction-runner';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import {
  AccountDisabledError,
  InvalidTokenError,
  RefreshTokenExpiredError,
  RefreshTokenReusedError,
  SessionRevokedError,
} from './auth.errors';
import type { RefreshToken } from './entities/refresh-token.entity';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import type { SessionClient } from './session-client';
import { SessionsRepository } from './sessions.repository';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

export interface AccessTokenPayload {
  sub: string;
  /** The session (sign-in) the token belongs to: ending it refuses the token at its next request. */
  sid: string;
}

/** How a sign-in was made, for its audit record. */
export interface SignInHow {
  method: 'password' | 'registration' | 'mfa' | 'provider';
  /** With `provider`: its id. */
  provider?: string;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Starts a new login: a session, whose id is the family of its refresh tokens. The session, its first refresh
   * token and the audit record of the sign-in are one transaction.
   */
  async issue(user: User, client: SessionClient, how: SignInHow = { method: 'password' }): Promise<IssuedTokens> {
    return this.transactions.run(async (manager) => {
      const session = await this.sessions.insert(
        {
          id: randomUUID(),
          userId: user.id,
          sessionVersion: user.sessionVersion,
          ...client,
          expiresAt: this.refreshExpiry(),
        },
        manager,
      );
      const tokens = await this.issueInFamily(user, session.id, manager);
      await this.audit.record(
        {
          action: 'auth.sign_in',
          actorId: user.id,
          targetType: 'session',
          targetId: session.id,
          details: { method: how.method, ...(how.provider ? { provider: how.provider } : {}) },
        },
        manager,
      );
      return tokens;
    });
  }

  /** Exchanges a refresh token for a new pair. A token that was already exchanged signs the whole login out. */
  async rotate(refreshToken: string, client: SessionClient): Promise<{ user: User; tokens: IssuedTokens }> {
    const stored = await this.findLive(refreshToken);
    if (stored.rotatedAt) {
      await this.endReplayed(stored);
      throw new RefreshTokenReusedError();
    }
    if (stored.expiresAt.getTime() <= Date.now()) throw new RefreshTokenExpiredError();
    const user = await this.users.findActiveById(stored.userId);
    if (!user) throw new AccountDisabledError();
    if (user.sessionVersion !== stored.sessionVersion) throw new SessionRevokedError();
    // Ended from the sessions list: its tokens are revoked in the same transaction, this is the second line.
    const session = await this.sessions.findById(stored.familyId);
    if (!session || session.revokedAt) throw new SessionRevokedError();
    // The old token is used up only together with its successor: a refresh that fails on the way (a database
    // error) leaves the old one working, instead of making the client's retry look like a replayed token.
    const tokens = await this.transactions.run(async (manager) => {
      if (!(await this.refreshTokens.markRotated(stored.id, manager))) return null;
      await this.sessions.recordRefresh(stored.familyId, { ...client, expiresAt: this.refreshExpiry() }, manager);
      return this.issueInFamily(user, stored.familyId, manager);
    });
    if (!tokens) {
      await this.endReplayed(stored);
      throw new RefreshTokenReusedError();
    }
    return { user, tokens };
  }

  /**
   * A used refresh token presented again: whoever holds it may have stolen it, so the sign-in ends, and the
   * audit log keeps that it did and why.
   */
  private async endReplayed(stored: RefreshToken): Promise<void> {
    await this.sessions.end(stored.familyId, undefined, (manager) =>
      this.audit.record(
        {
          action: 'auth.session_ended',
          actorId: stored.userId,
          targetType: 'session',
          targetId: stored.familyId,
          details: { reason: 'refresh_token_reused' },
        },
        manager,
      ),
    );
  }

  /**
   * The user a refresh token signs in, checked as a refresh would check it but without using it up: for a page
   * that can only show its cookie (a navigation to a provider's start, to link it).
   */
  async userOfLiveSession(refreshToken: string): Promise<User> {
    const stored = await this.findLive(refreshToken);
    // Already exchanged: the holder's current token is a newer one, so this one proves nothing.
    if (stored.rotatedAt) throw new InvalidTokenError('refresh token was already used');
    if (stored.expiresAt.getTime() <= Date.now()) throw new RefreshTokenExpiredError();
    const user = await this.users.findActiveById(stored.userId);
    if (!user) throw new AccountDisabledError();
    const session = await this.sessions.findById(stored.familyId);
    if (user.sessionVersion !== stored.sessionVersion || !session || session.revokedAt) throw new SessionRevokedError();
    return user;
  }

  /** Ends the login the token belongs to. */
  async revoke(refreshToken: string): Promise<void> {
    const stored = await this.findLive(refreshToken);
    if (stored.expiresAt.getTime() <= Date.now()) throw new RefreshTokenExpiredError();
    await this.sessions.end(stored.familyId, undefined, (manager) =>
      this.audit.record(
        { action: 'auth.sign_out', actorId: stored.userId, targetType: 'session', targetId: stored.familyId },
        manager,
      ),
    );
    if (stored.rotatedAt) throw new RefreshTokenReusedError();
  }

  /** The stored token, if this server issued it and its login has not been ended. */
  private async findLive(refreshToken: string): Promise<RefreshToken> {
    const stored = await this.refreshTokens.findByHash(hashToken(refreshToken));
    if (!stored) throw new InvalidTokenError('refresh token is not valid');
    if (stored.revokedAt) throw new SessionRevokedError();
    return stored;
  }

  private async issueInFamily(user: User, familyId: string, manager?: EntityManager): Promise<IssuedTokens> {
    const refreshToken = randomBytes(32).toString('base64url');
    await this.refreshTokens.insert(
      {
        userId: user.id,
        familyId,
        tokenHash: hashToken(refreshToken),
        sessionVersion: user.sessionVersion,
        expiresAt: this.refreshExpiry(),
      },
      manager,
    );
    const payload: AccessTokenPayload = { sub: user.id, sid: familyId };
    // The session expires REFRESH_TTL from now unless refreshed; a longer JWT_ACCESS_TTL must not outlive it.
    const expiresIn = Math.min(this.config.accessTtlSeconds, this.config.refreshTtlSeconds);
    return { accessToken: await this.jwt.signAsync(payload, { expiresIn }), refreshToken, expiresIn };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.refreshTtlSeconds * 1000);
  }
}
