import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { AuditLog } from '../common/audit/audit-log.service';
import type { AuthUser, Role } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { WindowCounter, WindowCounters } from '../common/throttling/window-counters';
import { authConfig } from '../config/auth.config';
import { FilesService } from '../files/files.service';
import { PasswordHasher } from './password-hasher.service';
import { User } from './user.entity';
import {
  CannotChangeOwnAccessError,
  PasswordNotSetError,
  TooManyPasswordAttemptsError,
  UserNotFoundError,
  WrongPasswordError,
} from './users.errors';
import { UsersRepository } from './users.repository';
import type { AlongWith } from '../database/transaction-runner';
import { displayNameFrom } from '../common/validators/display-name';

export interface NewUser {
  email: string;
  /** Left out, the account gets a random password no one knows: its owner signs in after a password reset. */
  password?: string;
  displayName?: string;
  role?: Role;
}

@Injectable()
export class UsersService {
  /**
   * Wrong passwords given by signed-in users (changing the password, deleting the account), per user: each is
   * a hash, and a guess that a stolen access token could otherwise repeat at the full request rate.
   */
  private readonly passwordFailures: WindowCounter;

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    counters: WindowCounters,
    private readonly audit: AuditLog,
    private readonly files: FilesService,
  ) {
    this.passwordFailures = counters.create({
      name: 'password-failures',
      limit: config.loginMaxFailures,
      windowMs: config.loginFailureWindowSeconds * 1000,
    });
  }

  /** With `admin`, an account an admin made: recorded in the audit log (`user.created`, with its role). */
  async create(input: NewUser, admin?: AuthUser): Promise<User> {
    const email = input.email.trim().toLowerCase();
    const role = input.role ?? 'user';
    return this.users.insert(
      {
        email,
        passwordHash: await this.hasher.hash(input.password ?? randomBytes(32).toString('base64url')),
        displayName: displayNameFrom(input.displayName, email.split('@')[0]),
        role,
      },
      admin &&
        ((manager, user) =>
          this.audit.record(
            { action: 'user.created', actorId: admin.id, targetType: 'user', targetId: user.id, details: { role } },
            manager,
          )),
    );
  }

  /** An account made by a sign-in with another provider: no password until its owner sets one (password reset). */
  async createWithoutPassword(input: { email: string; displayName?: string }): Promise<User> {
    const email = input.email.trim().toLowerCase();
    return this.users.insert({
      email,
      passwordHash: null,
      displayName: displayNameFrom(input.displayName, email.split('@')[0]),
      role: 'user',
    });
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** The emails of the users among `ids` that still exist, by id (for reports that name people). */
  async emailsOf(ids: string[]): Promise<Map<string, string>> {
    return new Map((await this.users.findByIds(ids)).map((user) => [user.id, user.email]));
  }

  /** The user behind a token, or null when they no longer exist or are disabled. */
  async findActiveById(id: string): Promise<User | null> {
    const user = await this.users.findById(id);
    return user && !user.disabled ? user : null;
  }

  /** The user with this email and password, or null; takes as long for an unknown email as for a wrong password. */
  async verifyCredentials(email: string, password: string): Promise<User | null> {
    const user = await this.users.findByEmail(email.trim());
    // No account, or one without a password: the same work as a wrong password, so neither can be told apart.
    if (!user?.passwordHash) return this.hasher.verifyNothing(password).then(() => null);
    return (await this.hasher.verify(user.passwordHash, password)) ? user : null;
  }

  /** Whether any account, enabled or not, has this email. */
  async isEmailTaken(email: string): Promise<boolean> {
    return (await this.users.findByEmail(email.trim())) !== null;
  }

  /** Removes an account made a moment ago that turned out not to be needed (it lost a race), with no checks. */
  async deleteUnused(id: string): Promise<void> {
    await this.users.deleteById(id);
  }

  /** The enabled user with this email, or null. */
  async findActiveByEmail(email: string): Promise<User | null> {
    const user = await this.users.findByEmail(email.trim());
    return user && !user.disabled ? user : null;
  }

  /**
   * Sets a password without the current one (a reset link, or the server's shell), and ends every sign-in of the
   * user. `claim` runs once the new password is hashed and before it is stored: when it answers false (the link
   * was used meanwhile) nothing is stored and the answer is false. Hashing first means a busy server (503)
   * leaves the link usable. With `sessionVersion` (the link's), nothing is stored when the password has changed
   * since the link was made.
   */
  async resetPassword(
    id: string,
    newPassword: string,
    claim: () => Promise<boolean> = async () => true,
    sessionVersion?: number,
    andThen?: AlongWith,
  ): Promise<boolean> {
    const passwordHash = await this.hasher.hash(newPassword);
    if (!(await claim())) return false;
    return this.users.replacePassword(id, passwordHash, sessionVersion, andThen);
  }

  /** As resetPassword, for the command line; throws UserNotFoundError for an unknown email. */
  async resetPasswordByEmail(email: string, newPassword: string): Promise<User> {
    const user = await this.users.findByEmail(email.trim());
    if (!user) throw new UserNotFoundError();
    const passwordHash = await this.hasher.hash(newPassword);
    await this.users.replacePassword(user.id, passwordHash, undefined, (manager) =>
      this.audit.record(
        { action: 'auth.password_reset', targetType: 'user', targetId: user.id, details: { via: 'command_line' } },
        manager,
      ),
    );
    return user;
  }

  async updateProfile(
    principal: AuthUser,
    changes: { displayName?: string; settings?: Record<string, unknown> },
  ): Promise<User> {
    const update: Partial<Pick<User, 'displayName' | 'settings'>> = {};
    if (changes.displayName !== undefined) update.displayName = changes.displayName.trim();
    if (changes.settings !== undefined) update.settings = changes.settings;
    if (Object.keys(update).length > 0) await this.users.update(principal.id, update);
    return this.getById(principal.id);
  }

  async changePassword(principal: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.getById(principal.id);
    await this.checkPassword(user, currentPassword);
    await this.users.replacePassword(user.id, await this.hasher.hash(newPassword), undefined, (manager) =>
      this.audit.record(
        { action: 'auth.password_changed', actorId: user.id, targetType: 'user', targetId: user.id },
        manager,
      ),
    );
  }

  async deleteAccount(principal: AuthUser, password: string): Promise<void> {
    const user = await this.getById(principal.id);
    await this.checkPassword(user, password);
    // Conversations, messages, files and refresh tokens go with the user through ON DELETE CASCADE; the files'
    // bytes are on disk, and are removed once their rows are gone.
    const fileIds = await this.files.idsOwnedBy(user.id);
    await this.users.deleteById(user.id, (manager) =>
      this.audit.record({ action: 'user.deleted', actorId: user.id, targetType: 'user', targetId: user.id }, manager),
    );
    await this.files.removeBytes(fileIds);
  }

  /**
   * Throws WrongPasswordError, or TooManyPasswordAttemptsError after LOGIN_MAX_FAILURES within 15 minutes, or
   * PasswordNotSetError for an account that has none.
   */
  async checkPassword(user: User, password: string): Promise<void> {
    // Nothing to guess: the owner sets a password through forgot/reset first.
    if (!user.passwordHash) throw new PasswordNotSetError();
    const passwordHash = user.passwordHash;
    // Counted before the hash, so guesses sent all at once cannot all get past the limit.
    const retryAfter = await this.passwordFailures.take(user.id);
    if (retryAfter > 0) throw new TooManyPasswordAttemptsError(retryAfter);
    const matches = await this.hasher.verify(passwordHash, password).catch(async (error: unknown) => {
      // Refused before the password was checked (the server was busy): not a guess.
      await this.passwordFailures.undo(user.id);
      throw error;
    });
    if (!matches) throw new WrongPasswordError();
    await this.passwordFailures.undo(user.id);
  }

  async list(limit: number, cursor?: string): Promise<Page<User>> {
    const rows = await this.users.listPage(limit, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (user) => user.createdAt);
  }

  async updateAccess(principal: AuthUser, id: string, changes: { role?: Role; disabled?: boolean }): Promise<User> {
    const user = await this.getById(id);
    // An admin locking themselves out could leave the portal with no admin at all.
    if (
      user.id === principal.id &&
      (changes.disabled === true || (changes.role !== undefined && changes.role !== 'admin'))
    ) {
      throw new CannotChangeOwnAccessError();
    }
    const update: Partial<Pick<User, 'role' | 'disabled'>> = {};
    if (changes.role !== undefined && changes.role !== user.role) update.role = changes.role;
    if (changes.disabled !== undefined && changes.disabled !== user.disabled) update.disabled = changes.disabled;
    if (Object.keys(update).length > 0) {
      await this.users.update(id, update, async (manager) => {
        const target = { actorId: principal.id, targetType: 'user', targetId: id };
        if (update.role !== undefined) {
          await this.audit.record(
            { ...target, action: 'user.role_changed', details: { from: user.role, to: update.role } },
            manager,
          );
        }
        if (update.disabled !== undefined) {
          await this.audit.record({ ...target, action: update.disabled ? 'user.disabled' : 'user.enabled' }, manager);
        }
      });
    }
    return this.getById(id);
  }
}
