import type { AuditLog } from '../common/audit/audit-log.service';
import { createHash } from 'node:crypto';
import type { AuthUser } from '../common/auth-user';
import type { User } from '../users/user.entity';
import type { ApiKey } from './api-key.entity';
import { ApiKeyNotFoundError, InvalidApiKeyError, TooManyApiKeysError } from './api-keys.errors';
import type { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService, MAX_KEYS_PER_USER } from './api-keys.service';

const principal: AuthUser = { id: 'u1', email: 'ada@example.com', role: 'user' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function setup() {
  const stored: ApiKey[] = [];
  const users = new Map<string, Partial<User>>([['u1', { id: 'u1', email: 'ada@example.com', role: 'user' }]]);
  const repository = {
    insertWithinLimit: jest.fn(
      async (key: Pick<ApiKey, 'userId' | 'name' | 'prefix' | 'keyHash' | 'expiresAt'>, max: number) => {
        if (stored.filter((row) => row.userId === key.userId).length >= max) return null;
        const row: ApiKey = { ...key, id: `k${stored.length + 1}`, createdAt: new Date(), lastUsedAt: null };
        stored.push(row);
        return row;
      },
    ),
    // As the SQL does it: unknown and expired keys are not found; the owner is joined, null when deleted.
    findLiveForRequest: jest.fn(async (hash: string, now: Date, staleBefore: Date) => {
      const key = stored.find((row) => row.keyHash === hash && (!row.expiresAt || row.expiresAt > now));
      if (!key) return null;
      const owner = users.get(key.userId);
      return {
        id: key.id,
        owner: { id: key.userId, email: owner?.email ?? '', role: owner?.role ?? 'user' },
        ownerDisabled: !owner || owner.disabled === true,
        stale: !key.lastUsedAt || key.lastUsedAt < staleBefore,
      };
    }),
    deleteOwned: jest.fn(async (userId: string, id: string) => {
      const index = stored.findIndex((key) => key.id === id && key.userId === userId);
      if (index >= 0) stored.splice(index, 1);
      return index >= 0;
    }),
    touch: jest.fn(async () => undefined),
    listPageForOwner: jest.fn(),
  };
  const service = new ApiKeysService(
    repository as unknown as ApiKeysRepository,
    {
      record: jest.fn(),
    } as unknown as AuditLog,
  );
  return { service, repository, stored, users };
}

describe('ApiKeysService', () => {
  describe('create', () => {
    it('returns a ck_ key of 32 random bytes and stores only its SHA-256 and its first 11 characters', async () => {
      const { service, stored } = setup();

      const { apiKey, key } = await service.create(principal, { name: ' scripts ' });

      expect(key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
      expect(stored).toEqual([
        expect.objectContaining({
          userId: 'u1',
          name: 'scripts',
          prefix: key.slice(0, 11),
          keyHash: sha256(key),
          expiresAt: null,
        }),
      ]);
      expect(JSON.stringify(apiKey)).not.toContain(key);
    });

    it(`refuses a key beyond ${MAX_KEYS_PER_USER}`, async () => {
      const { service, repository, stored } = setup();
      for (let i = 0; i < MAX_KEYS_PER_USER; i++) await service.create(principal, { name: `key ${i}` });

      await expect(service.create(principal, { name: 'one too many' })).rejects.toBeInstanceOf(TooManyApiKeysError);
      expect(repository.insertWithinLimit).toHaveBeenLastCalledWith(
        expect.anything(),
        MAX_KEYS_PER_USER,
        expect.any(Function),
      );
      expect(stored).toHaveLength(MAX_KEYS_PER_USER);
    });
  });

  describe('revoke', () => {
    it("answers not found for a key that is not the caller's", async () => {
      const { service } = setup();
      const { apiKey } = await service.create(principal, { name: 'mine' });

      await expect(service.revoke({ ...principal, id: 'u2' }, apiKey.id)).rejects.toBeInstanceOf(ApiKeyNotFoundError);
      await expect(service.revoke(principal, apiKey.id)).resolves.toBeUndefined();
    });
  });

  describe('authenticate', () => {
    it('resolves a live key to its owner and records the use', async () => {
      const { service, repository } = setup();
      const { apiKey, key } = await service.create(principal, { name: 'k' });

      await expect(service.authenticate(key)).resolves.toEqual(principal);
      expect(repository.touch).toHaveBeenCalledWith(apiKey.id, expect.any(Date), expect.any(Date));
    });

    it('writes the last use at most once a minute', async () => {
      const { service, repository, stored } = setup();
      const { key } = await service.create(principal, { name: 'k' });
      stored[0].lastUsedAt = new Date(Date.now() - 30_000);

      await service.authenticate(key);
      expect(repository.touch).not.toHaveBeenCalled();

      stored[0].lastUsedAt = new Date(Date.now() - 61_000);
      await service.authenticate(key);
      expect(repository.touch).toHaveBeenCalledTimes(1);
    });

    it.each([
      [undefined, 'required'],
      ['', 'required'],
      ['eyJhbGciOiJIUzI1NiJ9.e30.signature', 'not an access token'],
      [`ck_${'x'.repeat(43)}`, 'invalid, expired or revoked'],
    ])('refuses %j', async (presented, message) => {
      const { service, repository } = setup();

      const attempt = service.authenticate(presented);

      await expect(attempt).rejects.toBeInstanceOf(InvalidApiKeyError);
      await expect(attempt).rejects.toThrow(message);
      expect(repository.touch).not.toHaveBeenCalled();
    });

    it('refuses a key whose expiry has passed', async () => {
      const { service } = setup();
      const { key } = await service.create(principal, { name: 'k', expiresAt: new Date(Date.now() - 1) });

      await expect(service.authenticate(key)).rejects.toThrow('invalid, expired or revoked');
    });

    it('accepts a key until its expiry', async () => {
      const { service } = setup();
      const { key } = await service.create(principal, { name: 'k', expiresAt: new Date(Date.now() + 60_000) });

      await expect(service.authenticate(key)).resolves.toEqual(principal);
    });

    it('refuses the key of a disabled (or deleted) account', async () => {
      const { service, users } = setup();
      const { key } = await service.create(principal, { name: 'k' });
      users.set('u1', { ...users.get('u1'), disabled: true });
      await expect(service.authenticate(key)).rejects.toThrow('disabled');

      users.delete('u1');
      await expect(service.authenticate(key)).rejects.toThrow('disabled');
    });

    it('refuses a revoked key', async () => {
      const { service } = setup();
      const { apiKey, key } = await service.create(principal, { name: 'k' });
      await service.revoke(principal, apiKey.id);

      await expect(service.authenticate(key)).rejects.toBeInstanceOf(InvalidApiKeyError);
    });
  });
});
