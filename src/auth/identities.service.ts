import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isEmail } from 'class-validator';
import { AuditLog } from '../common/audit/audit-log.service';
import type { AuthUser } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { authConfig } from '../config/auth.config';
import type { User } from '../users/user.entity';
import { EmailTakenError } from '../users/users.errors';
import { UsersService } from '../users/users.service';
import { IdentityNotFoundError, LastSignInMethodError, ProviderSignInError } from './auth.errors';
import type { Identity } from './entities/identity.entity';
import { IdentitiesRepository } from './identities.repository';
import type { ProviderProfile } from './sign-in-provider-client';

/** Accounts at other providers that sign in to users here: matched by (issuer, subject), never by email. */
@Injectable()
export class IdentitiesService {
  private readonly allowRegistration: boolean;

  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly users: UsersService,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly audit: AuditLog,
  ) {
    this.allowRegistration = config.allowRegistration;
  }

  /**
   * The user this provider account signs in to. A first sign-in makes an account (with no password) only when
   * registration is open and the provider vouches for an email no account here has: an account is never taken
   * over through an address, however verified; its owner links the provider after signing in.
   */
  async signIn(provider: string, profile: ProviderProfile): Promise<User> {
    this.checkFits(profile);
    const known = await this.identities.findByIssuerAndSubject(profile.issuer, profile.subject);
    if (known) return this.userOf(known, profile);
    // An address sign-up would refuse makes no account either: its owner could never get a password by mail.
    if (!profile.email || !profile.emailVerified || profile.email.length > 254 || !isEmail(profile.email)) {
      throw new ProviderSignInError('EMAIL_NOT_VERIFIED', 'the provider does not vouch for an email address');
    }
    // Closed first: with sign-up closed nothing else tells whether an address has an account here, and this
    // must not either (its owner links the provider after signing in with a password).
    if (!this.allowRegistration) {
      throw new ProviderSignInError('REGISTRATION_CLOSED', 'this server does not take new sign-ups');
    }
    if (await this.users.isEmailTaken(profile.email)) throw this.emailTaken();
    const user = await this.users
      .createWithoutPassword({ email: profile.email, displayName: profile.name ?? undefined })
      .catch((error: unknown) => {
        throw error instanceof EmailTakenError ? this.emailTaken() : error;
      });
    const identity = await this.identities.insert({ userId: user.id, provider, ...this.columnsOf(profile) });
    if (identity) {
      await this.noteLinked(user.id, identity, provider);
      return user;
    }
    // The same provider account signed in twice at once, and the other request linked it first.
    await this.users.deleteUnused(user.id);
    const winner = await this.identities.findByIssuerAndSubject(profile.issuer, profile.subject);
    if (!winner) throw new ProviderSignInError('PROVIDER_UNAVAILABLE', 'the sign-in could not be stored');
    return this.userOf(winner, profile);
  }

  /** Links a provider account to a signed-in user; linking it again to the same user changes nothing. */
  async link(link: { userId: string; sessionVersion: number }, provider: string, profile: ProviderProfile) {
    this.checkFits(profile);
    const user = await this.users.findActiveById(link.userId);
    if (!user) throw new ProviderSignInError('ACCOUNT_DISABLED', 'this account is disabled');
    // The password changed (every session ended) since the link was asked for.
    if (user.sessionVersion !== link.sessionVersion) {
      throw new ProviderSignInError('INVALID_STATE', 'the sign-in that asked for this link has ended');
    }
    const known = await this.identities.findByIssuerAndSubject(profile.issuer, profile.subject);
    const inserted = known
      ? null
      : await this.identities.insert({ userId: user.id, provider, ...this.columnsOf(profile) });
    const linked = known ?? inserted ?? (await this.identities.findByIssuerAndSubject(profile.issuer, profile.subject));
    if (!linked || linked.userId !== user.id) {
      throw new ProviderSignInError('IDENTITY_IN_USE', 'this account at the provider signs in to another user');
    }
    if (inserted) await this.noteLinked(user.id, inserted, provider);
  }

  async list(principal: AuthUser, limit: number, cursor?: string): Promise<Page<Identity>> {
    const rows = await this.identities.listPageForOwner(principal.id, limit, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (identity) => identity.createdAt);
  }

  async unlink(principal: AuthUser, id: string): Promise<void> {
    const outcome = await this.identities.deleteOwnedUnlessLast(id, principal.id, (manager) =>
      this.audit.record(
        { action: 'auth.provider_unlinked', actorId: principal.id, targetType: 'identity', targetId: id },
        manager,
      ),
    );
    if (outcome === 'not-found') throw new IdentityNotFoundError();
    if (outcome === 'last') throw new LastSignInMethodError();
  }

  /**
   * Recorded after the insert, not in its transaction: the unique index decides a race, and a failed insert would
   * end a PostgreSQL transaction.
   */
  private async noteLinked(userId: string, identity: Identity, provider: string): Promise<void> {
    await this.audit.note({
      action: 'auth.provider_linked',
      actorId: userId,
      targetType: 'identity',
      targetId: identity.id,
      details: { provider },
    });
  }

  private async userOf(identity: Identity, profile: ProviderProfile): Promise<User> {
    const user = await this.users.findActiveById(identity.userId);
    if (!user) throw new ProviderSignInError('ACCOUNT_DISABLED', 'this account is disabled');
    const email = this.columnsOf(profile).email;
    if (identity.email !== email) await this.identities.updateEmail(identity.id, email);
    return user;
  }

  private columnsOf(profile: ProviderProfile) {
    return {
      issuer: profile.issuer,
      subject: profile.subject,
      email: profile.email ? profile.email.slice(0, 254).toLowerCase() : null,
    };
  }

  /** Longer than any real provider's; refused rather than cut, as a cut one would never match again. */
  private checkFits(profile: ProviderProfile): void {
    if (profile.issuer.length > 255 || profile.subject.length > 255) {
      throw new ProviderSignInError('PROVIDER_UNAVAILABLE', 'the provider sent an issuer or subject too long to keep');
    }
  }

  private emailTaken() {
    return new ProviderSignInError(
      'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT',
      'an account here has this email: sign in with its password, then link the provider',
    );
  }
}
