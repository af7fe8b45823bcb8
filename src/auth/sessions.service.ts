import { Injectable } from '@nestjs/common';
import { AuditLog } from '../common/audit/audit-log.service';
import type { AuthUser } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import {
  AccessTokenExpiredError,
  AccountDisabledError,
  InvalidTokenError,
  SessionNotFoundError,
  SessionRevokedError,
} from './auth.errors';
import type { UserSession } from './entities/user-session.entity';
import { SessionsRepository } from './sessions.repository';

/** Last use is recorded to the minute; finer would cost a write on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly audit: AuditLog,
  ) {}

  /**
   * The caller behind a verified access token, read fresh on every request: a session ended on any process, a
   * password change, disabling and a role change all apply at the next request.
   */
  async authenticate(payload: { sub?: unknown; sid?: unknown }): Promise<AuthUser> {
    if (typeof payload.sub !== 'string') throw new InvalidTokenError('access token is no longer valid');
    // Only this server's tokens verify, and those without a session were made before sessions existed: their
    // refresh tokens belong to sessions made from them, so refreshing gives the client a token that has one.
    if (typeof payload.sid !== 'string') throw new AccessTokenExpiredError();
    const found = await this.sessions.findPrincipal(payload.sid);
    if (!found || found.userId !== payload.sub) throw new InvalidTokenError('access token is no longer valid');
    if (found.disabled) throw new AccountDisabledError();
    if (!found.live) throw new SessionRevokedError();
    const now = new Date();
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    if (found.lastUsedAt < staleBefore) await this.sessions.touch(payload.sid, now, staleBefore);
    return { id: found.userId, email: found.email, role: found.role, sessionId: payload.sid };
  }

  async list(principal: AuthUser, limit: number, cursor?: string): Promise<Page<UserSession>> {
    const rows = await this.sessions.listLivePageForOwner(
      principal.id,
      limit,
      cursor ? decodeCursor(cursor) : undefined,
    );
    return toPage(rows, limit, (session) => session.createdAt);
  }

  /** Ends one of the caller's sessions (their own current one too): its tokens are refused from now on. */
  async end(principal: AuthUser, id: string): Promise<void> {
    const ended = await this.sessions.end(id, principal.id, (manager) =>
      this.audit.record(
        { action: 'auth.session_ended', actorId: principal.id, targetType: 'session', targetId: id },
        manager,
      ),
    );
    if (!ended) throw new SessionNotFoundError();
  }

  /** Ends every session of the caller but the one they are using. */
  async endOthers(principal: AuthUser): Promise<void> {
    if (!principal.sessionId) throw new InvalidTokenError('this route needs an access token');
    await this.sessions.endAllOfOwnerExcept(principal.id, principal.sessionId, (manager) =>
      this.audit.record(
        { action: 'auth.other_sessions_ended', actorId: principal.id, targetType: 'user', targetId: principal.id },
        manager,
      ),
    );
  }
}
