import { Injectable } from '@nestjs/common';
import type { AuthUser, Role } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { PasswordHasher } from './password-hasher.service';
import { User } from './user.entity';
import { CannotChangeOwnAccessError, UserNotFoundError, WrongPasswordError } from './users.errors';
import { UsersRepository } from './users.repository';

export interface NewUser {
  email: string;
  password: string;
  displayName?: string;
  role?: Role;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async create(input: NewUser): Promise<User> {
    const email = input.email.trim().toLowerCase();
    return this.users.insert({
      email,
      passwordHash: await this.hasher.hash(input.password),
      displayName: input.displayName?.trim() || email.split('@')[0],
      role: input.role ?? 'user',
    });
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** The user behind a token, or null when they no longer exist. */
  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  /** The user behind a token, or null when they no longer exist or are disabled. */
  async findActiveById(id: string): Promise<User | null> {
    const user = await this.users.findById(id);
    return user && !user.disabled ? user : null;
  }

  /** The user with this email and password, or null; takes as long for an unknown email as for a wrong password. */
  async verifyCredentials(email: string, password: string): Promise<User | null> {
    const user = await this.users.findByEmail(email.trim());
    if (!user) return this.hasher.verifyNothing(password).then(() => null);
    return (await this.hasher.verify(user.passwordHash, password)) ? user : null;
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
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) throw new WrongPasswordError();
    await this.users.replacePassword(user.id, await this.hasher.hash(newPassword));
  }

  async deleteAccount(principal: AuthUser, password: string): Promise<void> {
    const user = await this.getById(principal.id);
    if (!(await this.hasher.verify(user.passwordHash, password))) throw new WrongPasswordError();
    // Conversations, messages and refresh tokens go with the user through ON DELETE CASCADE.
    await this.users.deleteById(user.id);
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
    if (changes.role !== undefined) update.role = changes.role;
    if (changes.disabled !== undefined) update.disabled = changes.disabled;
    if (Object.keys(update).length > 0) await this.users.update(id, update);
    return this.getById(id);
  }
}
