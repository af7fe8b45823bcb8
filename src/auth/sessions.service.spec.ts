import type { AuditLog } from '../common/audit/audit-log.service';
import type { AuthUser } from '../common/auth-user';
import {
  AccessTokenExpiredError,
  AccountDisabledError,
  InvalidTokenError,
  SessionNotFoundError,
  SessionRevokedError,
} from './auth.errors';
import type { SessionPrincipal, SessionsRepository } from './sessions.repository';
import { LAST_USED_RESOLUTION_MS, SessionsService } from './sessions.service';

const SID = '6f1c1a52-3b7e-4d59-9a37-4f0a8f0c2d11';

function makePrincipal(overrides: Partial<SessionPrincipal> = {}): SessionPrincipal {
  return {
    userId: 'user-1',
    lastUsedAt: new Date(),
    email: 'ada@example.com',
    role: 'user',
    disabled: false,
    live: true,
    ...overrides,
  };
}

describe('SessionsService', () => {
  let repository: jest.Mocked<
    Pick<SessionsRepository, 'findPrincipal' | 'touch' | 'end' | 'endAllOfOwnerExcept' | 'listLivePageForOwner'>
  >;
  let service: SessionsService;

  beforeEach(() => {
    repository = {
      findPrincipal: jest.fn().mockResolvedValue(makePrincipal()),
      touch: jest.fn().mockResolvedValue(undefined),
      end: jest.fn().mockResolvedValue(true),
      endAllOfOwnerExcept: jest.fn().mockResolvedValue(undefined),
      listLivePageForOwner: jest.fn().mockResolvedValue([]),
    };
    service = new SessionsService(
      repository as unknown as SessionsRepository,
      { record: jest.fn() } as unknown as AuditLog,
    );
  });

  describe('authenticate', () => {
    it('answers the caller with the session of the token', async () => {
      await expect(service.authenticate({ sub: 'user-1', sid: SID })).resolves.toEqual({
        id: 'user-1',
        email: 'ada@example.com',
        role: 'user',
        sessionId: SID,
      });
      expect(repository.findPrincipal).toHaveBeenCalledWith(SID);
    });

    it('records a use only when the last one is older than the resolution', async () => {
      await service.authenticate({ sub: 'user-1', sid: SID });
      expect(repository.touch).not.toHaveBeenCalled();

      repository.findPrincipal.mockResolvedValue(
        makePrincipal({ lastUsedAt: new Date(Date.now() - LAST_USED_RESOLUTION_MS - 1000) }),
      );
      await service.authenticate({ sub: 'user-1', sid: SID });
      expect(repository.touch).toHaveBeenCalledWith(SID, expect.any(Date), expect.any(Date));
      const [, at, staleBefore] = repository.touch.mock.calls[0];
      expect(at.getTime() - staleBefore.getTime()).toBe(LAST_USED_RESOLUTION_MS);
    });

    it('asks a token made before sessions existed to be refreshed', async () => {
      await expect(service.authenticate({ sub: 'user-1' })).rejects.toBeInstanceOf(AccessTokenExpiredError);
      expect(repository.findPrincipal).not.toHaveBeenCalled();
    });

    it.each([
      ['no subject', { sid: SID }, makePrincipal()],
      ['an unknown session', { sub: 'user-1', sid: SID }, null],
      ["another user's session", { sub: 'user-2', sid: SID }, makePrincipal()],
    ])('refuses a token with %s as INVALID_TOKEN', async (_case, payload, found) => {
      repository.findPrincipal.mockResolvedValue(found);
      await expect(service.authenticate(payload)).rejects.toBeInstanceOf(InvalidTokenError);
    });

    it('refuses an ended session as SESSION_REVOKED, and a disabled account as ACCOUNT_DISABLED', async () => {
      repository.findPrincipal.mockResolvedValue(makePrincipal({ live: false }));
      await expect(service.authenticate({ sub: 'user-1', sid: SID })).rejects.toBeInstanceOf(SessionRevokedError);
      repository.findPrincipal.mockResolvedValue(makePrincipal({ live: false, disabled: true }));
      await expect(service.authenticate({ sub: 'user-1', sid: SID })).rejects.toBeInstanceOf(AccountDisabledError);
      expect(repository.touch).not.toHaveBeenCalled();
    });
  });

  describe('end and endOthers', () => {
    const principal: AuthUser = { id: 'user-1', email: 'ada@example.com', role: 'user', sessionId: SID };

    it("ends one of the caller's sessions, and answers not found for anything else", async () => {
      await service.end(principal, 'other-session');
      expect(repository.end).toHaveBeenCalledWith('other-session', 'user-1', expect.any(Function));
      repository.end.mockResolvedValue(false);
      await expect(service.end(principal, 'not-theirs')).rejects.toBeInstanceOf(SessionNotFoundError);
    });

    it("keeps the caller's own session when ending the others", async () => {
      await service.endOthers(principal);
      expect(repository.endAllOfOwnerExcept).toHaveBeenCalledWith('user-1', SID, expect.any(Function));
    });
  });
});
