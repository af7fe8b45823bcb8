import type { Identity } from '../entities/identity.entity';

export class IdentityResponseDto {
  id: string;
  /** The provider's id, as GET /auth/providers lists it. @example "keycloak" */
  provider: string;
  /** The address the provider gave at the last sign-in with it; shown only, never used to match. @example "ada@example.com" */
  email: string | null;
  /** When it was linked. */
  createdAt: string;

  static from(identity: Identity): IdentityResponseDto {
    return {
      id: identity.id,
      provider: identity.provider,
      email: identity.email,
      createdAt: identity.createdAt.toISOString(),
    };
  }
}

export class IdentitiesPageResponseDto {
  items: IdentityResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
