import type { UserSession } from '../entities/user-session.entity';

export class SessionResponseDto {
  id: string;
  /** When this sign-in happened. */
  createdAt: string;
  /** Its last refresh, or a request made with one of its access tokens (recorded to the minute). */
  lastUsedAt: string;
  /** The client address at sign-in or at the last refresh; null for sign-ins made before sessions were recorded. @example "203.0.113.7" */
  ip: string | null;
  /** The client's User-Agent at sign-in or at the last refresh, at most 256 characters. @example "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" */
  userAgent: string | null;
  /** True for the session of the access token that asked. */
  current: boolean;

  static from(session: UserSession, currentId: string | undefined): SessionResponseDto {
    return {
      id: session.id,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      ip: session.ip,
      userAgent: session.userAgent,
      current: session.id === currentId,
    };
  }
}

export class SessionsPageResponseDto {
  items: SessionResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
