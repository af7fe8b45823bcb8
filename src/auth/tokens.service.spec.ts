import type { AuditLog } from '../common/audit/audit-log.service';
import type { TransactionRunner } from '../database/transaction-runner';
import { createSecretKey } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import type { JwtService } from '@nestjs/jwt';
import { createHash } from 'node:crypto';
import type { authConfig } from '../config/auth.config';
import type { User } from '../users/user.entity';
import type { UsersService } from '../users/users.service';
import {
  AccountDisabledError,
  InvalidTokenError,
  RefreshTokenExpiredError,
  RefreshTokenReusedError,
  SessionRevokedError,
} from './auth.errors';
import type { RefreshToken } from './entities/refresh-token.entity';
import type { UserSession } from './entities/user-session.entity';
import type { RefreshTokensRepository } from './refresh-tokens.repository';
import type { SessionsRepository } from './sessions.repository';
import { TokensService } from './tokens.service';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const config = {
  jwtKey: createSecretKey(Buffer.from('unused-by-these-tests')),
  jwtSecretGenerated: false,
  accessTtlSeconds: 900,
  refreshTtlSeconds: 3600,
  loginMaxFailures: 10,
  loginMaxFailuresPerIp: 100,
  loginFailureWindowSeconds: 900,
  authFailuresPerMinute: 30,
  registrationsPerHour: 10,
  passwordHashQueue: 32,
  allowRegistration: true,
  passwordResetTtlSeconds: 1800,
  passwordResetMaxPerEmail: 5,
  passwordResetMaxPerIp: 20,
  dataEncryptionKey: null,
} satisfies ConfigType<typeof authConfig>;

function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: 'user-1',
    email: 'ada@example.com',
    passwordHash: '$argon2id$...',
    displayName: 'Ada',
    role: 'user',
    disabled: false,
    settings: {},
    sessionVersion: 2,
    totpSecretEncrypted: null,
    totpEnabledAt: null,
    totpLastStep: null,
    createdAt: new Date('2025-01-01T00:00:00Z'),
    updatedAt: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

function makeStored(overrides: Partial<RefreshToken> = {}): RefreshToken {
  return {
    id: 'token-1',
    userId: 'user-1',
    familyId: 'family-1',
    tokenHash: sha256('presented-token'),
    sessionVersion: 2,
    expiresAt: new Date(Date.now() + 60_000),
    rotatedAt: null,
    revokedAt: null,
    createdAt: new Date(),
    ...overrides,
  };
}

function makeSession(overrides: Partial<UserSession> = {}): UserSession {
  return {
    id: 'family-1',
    userId: 'user-1',
    sessionVersion: 2,
    ip: '203.0.113.7',
    userAgent: 'Firefox',
    createdAt: new Date(),
    lastUsedAt: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
    revokedAt: null,
    ...overrides,
  };
}

const client = { ip: '198.51.100.2', userAgent: 'Safari' };

describe('TokensService', () => {
  let repository: jest.Mocked<Pick<RefreshTokensRepository, 'insert' | 'findByHash' | 'markRotated'>>;
  let sessions: jest.Mocked<Pick<SessionsRepository, 'insert' | 'findById' | 'recordRefresh' | 'end'>>;
  let users: jest.Mocked<Pick<UsersService, 'findActiveById'>>;
  let jwt: jest.Mocked<Pick<JwtService, 'signAsync'>>;
  let audit: { record: jest.Mock };
  let service: TokensService;
  /** The transaction's entity manager, as the transaction runner would hand it over. */
  const MANAGER = { transaction: 'sign-in' };

  beforeEach(() => {
    repository = {
      insert: jest.fn(async (token) => ({ ...makeStored(), ...token })),
      findByHash: jest.fn(),
      markRotated: jest.fn().mockResolvedValue(true),
    };
    sessions = {
      insert: jest.fn(async (session) => ({ ...makeSession(), ...session })),
      findById: jest.fn().mockResolvedValue(makeSession()),
      recordRefresh: jest.fn().mockResolvedValue(undefined),
      end: jest.fn().mockResolvedValue(true),
    };
    users = { findActiveById: jest.fn().mockResolvedValue(makeUser()) };
    audit = { record: jest.fn().mockResolvedValue(undefined) };
    jwt = { signAsync: jest.fn().mockResolvedValue('signed.access.token') };
    service = new TokensService(
      jwt as unknown as JwtService,
      repository as unknown as RefreshTokensRepository,
      sessions as unknown as SessionsRepository,
      users as unknown as UsersService,
      config,
      { run: (work: (manager: unknown) => Promise<unknown>) => work(MANAGER) } as unknown as TransactionRunner,
      audit as unknown as AuditLog,
    );
  });

  describe('issue', () => {
    it('starts a new family and stores only a hash of the refresh token', async () => {
      const before = Date.now();
      const tokens = await service.issue(makeUser(), client);

      expect(tokens).toEqual({ accessToken: 'signed.access.token', refreshToken: expect.any(String), expiresIn: 900 });
      expect(tokens.refreshToken.length).toBeGreaterThanOrEqual(43);
      const sessionId = sessions.insert.mock.calls[0][0].id;
      expect(sessions.insert).toHaveBeenCalledWith(
        {
          id: expect.stringMatching(UUID),
          userId: 'user-1',
          sessionVersion: 2,
          ip: '198.51.100.2',
          userAgent: 'Safari',
          expiresAt: expect.any(Date),
        },
        MANAGER,
      );
      // The sign-in's audit record goes in the same transaction as its session.
      expect(audit.record).toHaveBeenCalledWith(
        expect.objectContaining({ action: 'auth.sign_in', actorId: 'user-1', targetId: sessionId }),
        MANAGER,
      );
      expect(jwt.signAsync).toHaveBeenCalledWith({ sub: 'user-1', sid: sessionId }, { expiresIn: 900 });
      expect(repository.insert).toHaveBeenCalledTimes(1);
      const stored = repository.insert.mock.calls[0][0];
      expect(stored).toEqual({
        userId: 'user-1',
        familyId: sessionId,
        tokenHash: sha256(tokens.refreshToken),
        sessionVersion: 2,
        expiresAt: expect.any(Date),
      });
      expect(stored.tokenHash).not.toBe(tokens.refreshToken);
      expect(stored.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3600 * 1000);
      expect(stored.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3600 * 1000);
    });

    it('gives every login its own family and token', async () => {
      const first = await service.issue(makeUser(), client);
      const second = await service.issue(makeUser(), client);
      expect(first.refreshToken).not.toBe(second.refreshToken);
      expect(repository.insert.mock.calls[0][0].familyId).not.toBe(repository.insert.mock.calls[1][0].familyId);
    });
  });

  describe('rotate', () => {
    it('marks the presented token used and issues a new one in the same family, in one transaction', async () => {
      repository.findByHash.mockResolvedValue(makeStored());

      const result = await service.rotate('presented-token', client);

      expect(repository.findByHash).toHaveBeenCalledWith(sha256('presented-token'));
      expect(repository.markRotated).toHaveBeenCalledWith('token-1', MANAGER);
      expect(repository.insert).toHaveBeenCalledWith(
        expect.objectContaining({ userId: 'user-1', familyId: 'family-1', sessionVersion: 2 }),
        MANAGER,
      );
      expect(sessions.recordRefresh).toHaveBeenCalledWith(
        'family-1',
        { ...client, expiresAt: expect.any(Date) },
        MANAGER,
      );
      expect(jwt.signAsync).toHaveBeenCalledWith({ sub: 'user-1', sid: 'family-1' }, { expiresIn: 900 });
      expect(result.user.id).toBe('user-1');
      expect(result.tokens.refreshToken).not.toBe('presented-token');
      expect(repository.insert.mock.calls[0][0].tokenHash).toBe(sha256(result.tokens.refreshToken));
      expect(sessions.end).not.toHaveBeenCalled();
    });

    it('refuses an unknown token', async () => {
      repository.findByHash.mockResolvedValue(null);
      await expect(service.rotate('unknown', client)).rejects.toBeInstanceOf(InvalidTokenError);
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('refuses a revoked token', async () => {
      repository.findByHash.mockResolvedValue(makeStored({ revokedAt: new Date() }));
      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(SessionRevokedError);
      expect(repository.markRotated).not.toHaveBeenCalled();
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('treats an already rotated token as reuse: revokes the whole family', async () => {
      repository.findByHash.mockResolvedValue(makeStored({ rotatedAt: new Date(Date.now() - 1000) }));

      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(RefreshTokenReusedError);

      expect(sessions.end).toHaveBeenCalledWith('family-1', undefined, expect.any(Function));
      expect(repository.markRotated).not.toHaveBeenCalled();
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('refuses an expired token without touching the family', async () => {
      repository.findByHash.mockResolvedValue(makeStored({ expiresAt: new Date(Date.now() - 1) }));

      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(RefreshTokenExpiredError);

      expect(repository.markRotated).not.toHaveBeenCalled();
      expect(sessions.end).not.toHaveBeenCalled();
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('refuses a disabled or deleted user', async () => {
      repository.findByHash.mockResolvedValue(makeStored());
      users.findActiveById.mockResolvedValue(null);

      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(AccountDisabledError);

      expect(users.findActiveById).toHaveBeenCalledWith('user-1');
      expect(repository.markRotated).not.toHaveBeenCalled();
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('refuses a token issued before a password change (session version mismatch)', async () => {
      repository.findByHash.mockResolvedValue(makeStored({ sessionVersion: 1 }));
      users.findActiveById.mockResolvedValue(makeUser({ sessionVersion: 2 }));

      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(SessionRevokedError);

      expect(repository.markRotated).not.toHaveBeenCalled();
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('refuses a token of a session ended from the sessions list', async () => {
      repository.findByHash.mockResolvedValue(makeStored());
      sessions.findById.mockResolvedValue(makeSession({ revokedAt: new Date() }));

      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(SessionRevokedError);

      expect(sessions.findById).toHaveBeenCalledWith('family-1');
      expect(repository.markRotated).not.toHaveBeenCalled();
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('treats losing the race to mark the token used as reuse', async () => {
      repository.findByHash.mockResolvedValue(makeStored());
      repository.markRotated.mockResolvedValue(false);

      await expect(service.rotate('presented-token', client)).rejects.toBeInstanceOf(RefreshTokenReusedError);

      expect(sessions.end).toHaveBeenCalledWith('family-1', undefined, expect.any(Function));
      expect(repository.insert).not.toHaveBeenCalled();
      expect(jwt.signAsync).not.toHaveBeenCalled();
    });
  });

  describe('revoke', () => {
    it('revokes the family of a live token', async () => {
      repository.findByHash.mockResolvedValue(makeStored());
      await expect(service.revoke('presented-token')).resolves.toBeUndefined();
      expect(repository.findByHash).toHaveBeenCalledWith(sha256('presented-token'));
      expect(sessions.end).toHaveBeenCalledWith('family-1', undefined, expect.any(Function));
    });

    it.each([
      ['unknown', null, InvalidTokenError],
      ['revoked', makeStored({ revokedAt: new Date() }), SessionRevokedError],
      ['expired', makeStored({ expiresAt: new Date(Date.now() - 1) }), RefreshTokenExpiredError],
    ])('refuses an %s token', async (_case, stored, error) => {
      repository.findByHash.mockResolvedValue(stored);
      await expect(service.revoke('presented-token')).rejects.toBeInstanceOf(error);
      expect(sessions.end).not.toHaveBeenCalled();
    });

    it('still signs the login out when an already rotated token is presented, and reports the reuse', async () => {
      repository.findByHash.mockResolvedValue(makeStored({ rotatedAt: new Date() }));
      await expect(service.revoke('presented-token')).rejects.toBeInstanceOf(RefreshTokenReusedError);
      expect(sessions.end).toHaveBeenCalledWith('family-1', undefined, expect.any(Function));
    });
  });
});
