import type { AuditLog } from '../common/audit/audit-log.service';
import type { ConfigType } from '@nestjs/config';
import type { authConfig } from '../config/auth.config';
import type { User } from '../users/user.entity';
import { EmailTakenError } from '../users/users.errors';
import type { UsersService } from '../users/users.service';
import type { ProviderSignInError } from './auth.errors';
import type { Identity } from './entities/identity.entity';
import type { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import type { ProviderProfile } from './sign-in-provider-client';

const profile: ProviderProfile = {
  issuer: 'https://sso.example.com/realms/acme',
  subject: 'subject-1',
  email: 'Ada@Example.com',
  emailVerified: true,
  name: 'Ada',
};

const user = (overrides: Partial<User> = {}) => ({ id: 'user-1', sessionVersion: 0, ...overrides }) as User;
const identity = (overrides: Partial<Identity> = {}) =>
  ({ id: 'identity-1', userId: 'user-1', email: 'ada@example.com', ...overrides }) as Identity;

/** The code of the ProviderSignInError a promise is refused with. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'signed in',
    (error: ProviderSignInError) => error.code,
  );

describe('IdentitiesService', () => {
  let repository: jest.Mocked<
    Pick<IdentitiesRepository, 'findByIssuerAndSubject' | 'insert' | 'updateEmail' | 'deleteOwnedUnlessLast'>
  >;
  let users: jest.Mocked<
    Pick<UsersService, 'findActiveById' | 'isEmailTaken' | 'createWithoutPassword' | 'deleteUnused'>
  >;
  const service = (allowRegistration = true) =>
    new IdentitiesService(
      repository as unknown as IdentitiesRepository,
      users as unknown as UsersService,
      { allowRegistration } as ConfigType<typeof authConfig>,
      { record: jest.fn(), note: jest.fn() } as unknown as AuditLog,
    );

  beforeEach(() => {
    repository = {
      findByIssuerAndSubject: jest.fn().mockResolvedValue(null),
      insert: jest.fn().mockImplementation((row: Partial<Identity>) => Promise.resolve(identity(row))),
      updateEmail: jest.fn().mockResolvedValue(undefined),
      deleteOwnedUnlessLast: jest.fn().mockResolvedValue('deleted'),
    };
    users = {
      findActiveById: jest.fn().mockResolvedValue(user()),
      isEmailTaken: jest.fn().mockResolvedValue(false),
      createWithoutPassword: jest.fn().mockResolvedValue(user({ id: 'new-user' })),
      deleteUnused: jest.fn().mockResolvedValue(undefined),
    };
  });

  describe('signIn', () => {
    it('finds the user by issuer and subject, and keeps the address the provider gives now', async () => {
      repository.findByIssuerAndSubject.mockResolvedValue(identity({ email: 'old@example.com' }));

      await expect(service().signIn('keycloak', profile)).resolves.toEqual(user());

      expect(repository.findByIssuerAndSubject).toHaveBeenCalledWith(profile.issuer, profile.subject);
      expect(repository.updateEmail).toHaveBeenCalledWith('identity-1', 'ada@example.com');
      expect(users.isEmailTaken).not.toHaveBeenCalled();
    });

    it('signs a known identity in whatever its email, verified or not, and even with registration closed', async () => {
      repository.findByIssuerAndSubject.mockResolvedValue(identity());

      const signedIn = service(false).signIn('keycloak', { ...profile, emailVerified: false });

      await expect(signedIn).resolves.toEqual(user());
    });

    it('refuses a disabled account', async () => {
      repository.findByIssuerAndSubject.mockResolvedValue(identity());
      users.findActiveById.mockResolvedValue(null);

      expect(await refusal(service().signIn('keycloak', profile))).toBe('ACCOUNT_DISABLED');
    });

    it('makes an account without a password, linked to the identity', async () => {
      await expect(service().signIn('keycloak', profile)).resolves.toEqual(user({ id: 'new-user' }));

      expect(users.createWithoutPassword).toHaveBeenCalledWith({ email: profile.email, displayName: 'Ada' });
      expect(repository.insert).toHaveBeenCalledWith({
        userId: 'new-user',
        provider: 'keycloak',
        issuer: profile.issuer,
        subject: profile.subject,
        email: 'ada@example.com',
      });
    });

    it('makes none for an unverified or missing email, a taken one, or with registration closed', async () => {
      expect(await refusal(service().signIn('keycloak', { ...profile, emailVerified: false }))).toBe(
        'EMAIL_NOT_VERIFIED',
      );
      expect(await refusal(service().signIn('keycloak', { ...profile, email: null }))).toBe('EMAIL_NOT_VERIFIED');
      expect(await refusal(service(false).signIn('keycloak', profile))).toBe('REGISTRATION_CLOSED');
      users.isEmailTaken.mockResolvedValue(true);
      expect(await refusal(service().signIn('keycloak', profile))).toBe('EMAIL_BELONGS_TO_ANOTHER_ACCOUNT');
      expect(users.createWithoutPassword).not.toHaveBeenCalled();
    });

    it('answers EMAIL_BELONGS_TO_ANOTHER_ACCOUNT when an account with the email was made meanwhile', async () => {
      users.createWithoutPassword.mockRejectedValue(new EmailTakenError());

      expect(await refusal(service().signIn('keycloak', profile))).toBe('EMAIL_BELONGS_TO_ANOTHER_ACCOUNT');
    });

    it('gives up its new account to the sign-in that linked the identity first', async () => {
      repository.insert.mockResolvedValue(null);
      repository.findByIssuerAndSubject.mockResolvedValueOnce(null).mockResolvedValueOnce(identity());

      await expect(service().signIn('keycloak', profile)).resolves.toEqual(user());

      expect(users.deleteUnused).toHaveBeenCalledWith('new-user');
    });
  });

  describe('link', () => {
    const asking = { userId: 'user-1', sessionVersion: 0 };

    it('links a new identity to the user, and linking it again changes nothing', async () => {
      await service().link(asking, 'keycloak', profile);
      expect(repository.insert).toHaveBeenCalledWith(
        expect.objectContaining({ userId: 'user-1', subject: 'subject-1' }),
      );

      repository.insert.mockClear();
      repository.findByIssuerAndSubject.mockResolvedValue(identity());
      await service().link(asking, 'keycloak', profile);
      expect(repository.insert).not.toHaveBeenCalled();
    });

    it('refuses an identity that signs in to another user, also when it was linked a moment ago', async () => {
      repository.findByIssuerAndSubject.mockResolvedValue(identity({ userId: 'user-2' }));
      expect(await refusal(service().link(asking, 'keycloak', profile))).toBe('IDENTITY_IN_USE');

      repository.findByIssuerAndSubject
        .mockResolvedValueOnce(null)
        .mockResolvedValueOnce(identity({ userId: 'user-2' }));
      repository.insert.mockResolvedValue(null);
      expect(await refusal(service().link(asking, 'keycloak', profile))).toBe('IDENTITY_IN_USE');
    });

    it('refuses when the password changed since the link was asked for', async () => {
      users.findActiveById.mockResolvedValue(user({ sessionVersion: 1 }));

      expect(await refusal(service().link(asking, 'keycloak', profile))).toBe('INVALID_STATE');
      expect(repository.insert).not.toHaveBeenCalled();
    });
  });

  describe('unlink', () => {
    const principal = { id: 'user-1', email: 'ada@example.com', role: 'user' as const };

    it('answers not found and last-way-in as their errors', async () => {
      await expect(service().unlink(principal, 'identity-1')).resolves.toBeUndefined();
      repository.deleteOwnedUnlessLast.mockResolvedValue('not-found');
      await expect(service().unlink(principal, 'identity-1')).rejects.toMatchObject({ code: 'IDENTITY_NOT_FOUND' });
      repository.deleteOwnedUnlessLast.mockResolvedValue('last');
      await expect(service().unlink(principal, 'identity-1')).rejects.toMatchObject({ code: 'LAST_SIGN_IN_METHOD' });
      expect(repository.deleteOwnedUnlessLast).toHaveBeenCalledWith('identity-1', 'user-1', expect.any(Function));
    });
  });
});
