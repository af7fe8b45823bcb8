import { User } from '../user.entity';

/** A user as an admin sees them: their account, not their own preferences. */
export class ManagedUserResponseDto {
  /** @example "3f1c2a9e-8b7d-4c1e-9f00-1a2b3c4d5e6f" */
  id: string;
  /** @example "ada@example.com" */
  email: string;
  /** @example "Ada" */
  displayName: string;
  /** @example "user" */
  role: 'user' | 'admin';
  /** Disabled users cannot sign in or use their tokens. */
  disabled: boolean;
  /** Whether sign-in asks for a code (two-factor sign-in with TOTP) after the password. */
  mfaEnabled: boolean;
  createdAt: string;

  static from(user: User): ManagedUserResponseDto {
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      disabled: user.disabled,
      mfaEnabled: user.totpEnabledAt != null,
      createdAt: user.createdAt.toISOString(),
    };
  }
}

/** The signed-in user, with their preferences. */
export class UserResponseDto extends ManagedUserResponseDto {
  /** Free-form client preferences, as last saved with PATCH /users/me. */
  settings: Record<string, unknown>;

  static from(user: User): UserResponseDto {
    return { ...ManagedUserResponseDto.from(user), settings: user.settings };
  }
}

export class UsersPageResponseDto {
  items: ManagedUserResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
