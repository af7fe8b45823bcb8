import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth-user';
import { AuditLog } from '../common/audit/audit-log.service';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { UsersService } from '../users/users.service';
import { QuotaPolicy } from './entities/quota-policy.entity';
import { modelMatches, storedModelPattern, type QuotaWindow } from './quota-window';
import { InvalidQuotaError, QuotaExistsError, QuotaNotFoundError } from './quotas.errors';
import { QuotasRepository } from './quotas.repository';

export interface NewQuotaPolicy {
  scope: 'default' | 'user';
  userId?: string | null;
  model?: string | null;
  window: QuotaWindow;
  maxRequests?: number | null;
  maxTokens?: number | null;
}

/**
 * How long the policy list is kept in memory. A change made here is seen at once; one made by another process
 * sharing the database, within this time.
 */
export const POLICY_CACHE_MS = 5_000;

/**
 * The admins' quota policies, and which of them apply to a person and a model. Every model call asks, so the list
 * is kept in memory: a call that no policy covers costs no query at all.
 */
@Injectable()
export class QuotaPoliciesService {
  private cached?: { policies: Promise<QuotaPolicy[]>; until: number };

  constructor(
    private readonly quotas: QuotasRepository,
    private readonly users: UsersService,
    private readonly audit: AuditLog,
  ) {}

  /** A page of every policy, oldest first. */
  async list(limit: number, cursor?: string): Promise<Page<QuotaPolicy>> {
    const rows = await this.quotas.listPolicyPage(limit, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (policy) => policy.createdAt);
  }

  /**
   * A user policy needs an existing user (else 404 USER_NOT_FOUND); a default one takes none. One policy per
   * scope, user, model pattern and window (else 409 QUOTA_EXISTS).
   */
  async create(principal: AuthUser, input: NewQuotaPolicy): Promise<QuotaPolicy> {
    if (input.maxRequests == null && input.maxTokens == null) {
      throw new InvalidQuotaError('a quota needs maxRequests, maxTokens or both');
    }
    if (input.scope === 'user' && input.userId == null) {
      throw new InvalidQuotaError('userId is required when scope is user');
    }
    if (input.scope === 'default' && input.userId != null) {
      throw new InvalidQuotaError('userId must be left out when scope is default');
    }
    if (input.userId != null) await this.users.getById(input.userId);
    const saved = await this.quotas.insertPolicy(
      {
        userId: input.userId ?? null,
        model: storedModelPattern(input.model),
        window: input.window,
        maxRequests: input.maxRequests ?? null,
        maxTokens: input.maxTokens ?? null,
      },
      (manager, policy) => this.audit.record(auditEntry(principal, 'quota.created', policy), manager),
    );
    if (!saved) throw new QuotaExistsError();
    this.cached = undefined;
    return saved;
  }

  async remove(principal: AuthUser, id: string): Promise<void> {
    const deleted = await this.quotas.deletePolicy(id, (manager, policy) =>
      this.audit.record(auditEntry(principal, 'quota.deleted', policy), manager),
    );
    if (!deleted) throw new QuotaNotFoundError();
    this.cached = undefined;
  }

  /**
   * The policies that bind this person, for this model or (without one) for any: their own, and the defaults for
   * a window and model pattern that they have no policy of their own for. A user policy replaces the default
   * with the same window and model pattern, whether it is higher or lower; defaults for other patterns still apply.
   */
  async applicable(userId: string, modelId?: string): Promise<QuotaPolicy[]> {
    const all = await this.all();
    if (all.length === 0) return [];
    const own = all.filter((policy) => policy.userId === userId);
    const replaced = new Set(own.map(sameSlot));
    const binding = [...own, ...all.filter((policy) => policy.userId === null && !replaced.has(sameSlot(policy)))];
    return modelId === undefined ? binding : binding.filter((policy) => modelMatches(policy.model, modelId));
  }

  private all(): Promise<QuotaPolicy[]> {
    const now = Date.now();
    if (!this.cached || this.cached.until <= now) {
      const policies = this.quotas.listPolicies();
      this.cached = { policies, until: now + POLICY_CACHE_MS };
      // A failed read is not kept: the next call reads again.
      policies.catch(() => {
        if (this.cached?.policies === policies) this.cached = undefined;
      });
    }
    return this.cached.policies;
  }
}

function sameSlot(policy: QuotaPolicy): string {
  return `${policy.window} ${policy.model ?? ''}`;
}

function auditEntry(principal: AuthUser, action: string, policy: QuotaPolicy) {
  return {
    action,
    actorId: principal.id,
    targetType: 'quota',
    targetId: policy.id,
    details: {
      scope: policy.userId === null ? 'default' : 'user',
      userId: policy.userId,
      model: policy.model,
      window: policy.window,
      maxRequests: policy.maxRequests,
      maxTokens: policy.maxTokens,
    },
  };
}
