import type { AuditLog } from '../common/audit/audit-log.service';
import type { ConfigType } from '@nestjs/config';
import type { authConfig } from '../config/auth.config';
import type { AuthUser } from '../common/auth-user';
import { InvalidCursorError } from '../common/errors/app.error';
import { encodeCursor } from '../common/pagination/cursor';
import { MemoryWindowCounters } from '../common/throttling/memory-window-counters';
import type { FilesService } from '../files/files.service';
import type { PasswordHasher } from './password-hasher.service';
import type { User } from './user.entity';
import { CannotChangeOwnAccessError, UserNotFoundError, WrongPasswordError } from './users.errors';
import type { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

const ADMIN_ID = '00000000-0000-4000-8000-000000000001';
const USER_ID = '00000000-0000-4000-8000-000000000002';

function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: USER_ID,
    email: 'ada@example.com',
    passwordHash: 'hash-of-correct-horse',
    displayName: 'Ada',
    role: 'user',
    disabled: false,
    settings: {},
    sessionVersion: 0,
    totpSecretEncrypted: null,
    totpEnabledAt: null,
    totpLastStep: null,
    createdAt: new Date('2025-01-01T00:00:00Z'),
    updatedAt: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

const adminPrincipal: AuthUser = { id: ADMIN_ID, email: 'admin@example.com', role: 'admin' };
const userPrincipal: AuthUser = { id: USER_ID, email: 'ada@example.com', role: 'user' };

describe('UsersService', () => {
  let repository: jest.Mocked<
    Pick<
      UsersRepository,
      'findById' | 'findByEmail' | 'insert' | 'update' | 'replacePassword' | 'deleteById' | 'listPage'
    >
  >;
  let hasher: jest.Mocked<Pick<PasswordHasher, 'hash' | 'verify' | 'verifyNothing'>>;
  let audit: { record: jest.Mock };
  let files: jest.Mocked<Pick<FilesService, 'idsOwnedBy' | 'removeBytes'>>;
  let service: UsersService;
  let stored: Map<string, User>;

  beforeEach(() => {
    stored = new Map([
      [ADMIN_ID, makeUser({ id: ADMIN_ID, email: 'admin@example.com', role: 'admin' })],
      [USER_ID, makeUser()],
    ]);
    repository = {
      findById: jest.fn(async (id: string) => stored.get(id) ?? null),
      findByEmail: jest.fn(async (email: string) => [...stored.values()].find((u) => u.email === email) ?? null),
      insert: jest.fn(async (data) => makeUser({ ...data, id: 'new-id' })),
      update: jest.fn(async (id, changes) => {
        stored.set(id, { ...stored.get(id)!, ...changes });
      }),
      replacePassword: jest.fn().mockResolvedValue(true),
      deleteById: jest.fn().mockResolvedValue(undefined),
      listPage: jest.fn().mockResolvedValue([]),
    };
    audit = { record: jest.fn().mockResolvedValue(undefined) };
    hasher = {
      hash: jest.fn(async (password: string) => `hash-of-${password}`),
      verify: jest.fn(async (hash: string, password: string) => hash === `hash-of-${password}`),
      verifyNothing: jest.fn().mockResolvedValue(false),
    };
    files = {
      idsOwnedBy: jest.fn().mockResolvedValue(['file-1', 'file-2']),
      removeBytes: jest.fn().mockResolvedValue(undefined),
    };
    service = new UsersService(
      repository as unknown as UsersRepository,
      hasher as unknown as PasswordHasher,
      {
        loginMaxFailures: 3,
        loginFailureWindowSeconds: 900,
      } as ConfigType<typeof authConfig>,
      new MemoryWindowCounters(),
      audit as unknown as AuditLog,
      files as unknown as FilesService,
    );
  });

  describe('create', () => {
    it('stores a lower-cased email and a hash, never the password', async () => {
      await service.create({ email: '  Ada@Example.COM ', password: 'correct-horse' });

      expect(repository.insert).toHaveBeenCalledWith(
        {
          email: 'ada@example.com',
          passwordHash: 'hash-of-correct-horse',
          displayName: 'ada',
          role: 'user',
        },
        undefined,
      );
    });

    it('keeps a given display name and role', async () => {
      await service.create({ email: 'x@example.com', password: 'pw', displayName: ' Grace ', role: 'admin' });
      expect(repository.insert).toHaveBeenCalledWith(
        expect.objectContaining({ displayName: 'Grace', role: 'admin' }),
        undefined,
      );
    });
  });

  describe('verifyCredentials', () => {
    it('returns the user for the right password', async () => {
      await expect(service.verifyCredentials('ada@example.com', 'correct-horse')).resolves.toEqual(
        expect.objectContaining({ id: USER_ID }),
      );
      expect(hasher.verifyNothing).not.toHaveBeenCalled();
    });

    it('returns null for a wrong password', async () => {
      await expect(service.verifyCredentials('ada@example.com', 'wrong')).resolves.toBeNull();
      expect(hasher.verify).toHaveBeenCalledWith('hash-of-correct-horse', 'wrong');
    });

    it('still spends a hash check on an unknown email, so timing does not tell who has an account', async () => {
      await expect(service.verifyCredentials('ghost@example.com', 'whatever')).resolves.toBeNull();
      expect(hasher.verifyNothing).toHaveBeenCalledWith('whatever');
    });
  });

  describe('updateProfile', () => {
    it('stores only the fields that were given', async () => {
      const user = await service.updateProfile(userPrincipal, { settings: { theme: 'dark' } });

      expect(repository.update).toHaveBeenCalledWith(USER_ID, { settings: { theme: 'dark' } });
      expect(user.settings).toEqual({ theme: 'dark' });
      expect(user.displayName).toBe('Ada');
    });

    it('writes nothing for an empty change', async () => {
      await service.updateProfile(userPrincipal, {});
      expect(repository.update).not.toHaveBeenCalled();
    });
  });

  describe('changePassword', () => {
    it('refuses a wrong current password and changes nothing', async () => {
      await expect(service.changePassword(userPrincipal, 'wrong', 'new-password')).rejects.toBeInstanceOf(
        WrongPasswordError,
      );
      expect(repository.replacePassword).not.toHaveBeenCalled();
      expect(hasher.hash).not.toHaveBeenCalled();
    });

    it('stores the hash of the new password, through the statement that retires old refresh tokens', async () => {
      await service.changePassword(userPrincipal, 'correct-horse', 'new-password');
      expect(repository.replacePassword).toHaveBeenCalledWith(
        USER_ID,
        'hash-of-new-password',
        undefined,
        expect.any(Function),
      );
      expect(repository.update).not.toHaveBeenCalled();
    });
  });

  describe('deleteAccount', () => {
    it('refuses a wrong password and deletes nothing', async () => {
      await expect(service.deleteAccount(userPrincipal, 'wrong')).rejects.toBeInstanceOf(WrongPasswordError);
      expect(repository.deleteById).not.toHaveBeenCalled();
      expect(files.removeBytes).not.toHaveBeenCalled();
    });

    it("deletes the caller, and only the caller, then their files' bytes", async () => {
      await service.deleteAccount(userPrincipal, 'correct-horse');
      expect(repository.deleteById).toHaveBeenCalledWith(USER_ID, expect.any(Function));
      expect(files.idsOwnedBy).toHaveBeenCalledWith(USER_ID);
      expect(files.removeBytes).toHaveBeenCalledWith(['file-1', 'file-2']);
    });
  });

  describe('updateAccess', () => {
    it.each([
      ['disable themselves', { disabled: true }],
      ['remove their own admin role', { role: 'user' as const }],
      ['do both at once', { role: 'user' as const, disabled: true }],
    ])('refuses to let an admin %s', async (_case, changes) => {
      await expect(service.updateAccess(adminPrincipal, ADMIN_ID, changes)).rejects.toBeInstanceOf(
        CannotChangeOwnAccessError,
      );
      expect(repository.update).not.toHaveBeenCalled();
    });

    it('lets an admin make harmless changes to themselves', async () => {
      await expect(service.updateAccess(adminPrincipal, ADMIN_ID, { role: 'admin', disabled: false })).resolves.toEqual(
        expect.objectContaining({ id: ADMIN_ID, role: 'admin', disabled: false }),
      );
    });

    it('changes another user and returns them as stored', async () => {
      const user = await service.updateAccess(adminPrincipal, USER_ID, { role: 'admin', disabled: true });

      expect(repository.update).toHaveBeenCalledWith(USER_ID, { role: 'admin', disabled: true }, expect.any(Function));
      expect(user).toEqual(expect.objectContaining({ id: USER_ID, role: 'admin', disabled: true }));
    });

    it('answers UserNotFoundError for an unknown id', async () => {
      await expect(
        service.updateAccess(adminPrincipal, '00000000-0000-4000-8000-00000000dead', { disabled: true }),
      ).rejects.toBeInstanceOf(UserNotFoundError);
      expect(repository.update).not.toHaveBeenCalled();
    });
  });

  describe('findActiveById', () => {
    it('returns null for a disabled user', async () => {
      stored.set(USER_ID, makeUser({ disabled: true }));
      await expect(service.findActiveById(USER_ID)).resolves.toBeNull();
    });

    it('returns null for an unknown user', async () => {
      await expect(service.findActiveById('missing')).resolves.toBeNull();
    });
  });

  describe('list', () => {
    it('passes the decoded cursor on and cuts the page at the limit', async () => {
      const at = new Date('2025-02-03T04:05:06.789Z');
      repository.listPage.mockResolvedValue([makeUser({ id: ADMIN_ID }), makeUser(), makeUser({ id: 'third' })]);

      const page = await service.list(2, encodeCursor({ at, id: ADMIN_ID }));

      expect(repository.listPage).toHaveBeenCalledWith(2, { at, id: ADMIN_ID });
      expect(page.items.map((u) => u.id)).toEqual([ADMIN_ID, USER_ID]);
      expect(page.nextCursor).toEqual(expect.any(String));
    });

    it('refuses a cursor it did not make before querying', async () => {
      await expect(service.list(20, 'garbage')).rejects.toBeInstanceOf(InvalidCursorError);
      expect(repository.listPage).not.toHaveBeenCalled();
    });
  });
});
