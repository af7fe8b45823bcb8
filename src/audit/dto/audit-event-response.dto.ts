import type { AuditEvent } from '../../common/audit/audit-event.entity';

export class AuditEventResponseDto {
  id: string;
  at: string;
  /** Who did it; null when nobody was signed in (a refused sign-in, a reset by link). */
  actorId: string | null;
  /** @example "auth.sign_in" */
  action: string;
  /** @example "user" */
  targetType: string | null;
  targetId: string | null;
  /** @example "success" */
  outcome: 'success' | 'failure';
  ip: string | null;
  userAgent: string | null;
  /** The X-Request-Id of the request that did it: the same id is in the server's log lines. */
  requestId: string | null;
  /** A few facts (a new role, a key's name, why a sign-in failed); never a message, password or token. */
  details: Record<string, string | number | boolean | null> | null;

  static from(event: AuditEvent): AuditEventResponseDto {
    return {
      id: event.id,
      at: event.at.toISOString(),
      actorId: event.actorId,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      outcome: event.outcome,
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: event.requestId,
      details: event.details,
    };
  }
}

export class AuditPageResponseDto {
  items: AuditEventResponseDto[];
  /** Pass as `cursor` (with the same filters) for older events; null on the last page. */
  nextCursor: string | null;
}
