import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../common/auth-user';
import { MetricsService } from '../common/metrics/metrics.service';
import { quotasConfig, type QuotasConfig } from '../config/quotas.config';
import { QuotaPoliciesService } from './quota-policies.service';
import { periodOf, resetsAt, secondsUntil, type QuotaWindow } from './quota-window';
import { QuotaExceededError } from './quotas.errors';
import { QuotasRepository, type QuotaRefusal, type ReservationItem } from './quotas.repository';

/** How long a reservation counts when its call never settles (its process died); then it is given back. */
export const RESERVATION_TTL_MS = 15 * 60_000;
const SWEEP_EVERY_MS = 60_000;

/** What a call is expected to take before it starts: its prompt, and the most it may answer. */
export interface CallEstimate {
  promptTokens: number;
  /** The request's own maximum; QUOTA_DEFAULT_MAX_TOKENS when it names none. */
  maxTokens?: number;
}

/** What a call took, once it has ended: the provider's report if it sent one, and the text it produced. */
export interface CallOutcome {
  usage: { promptTokens: number; completionTokens: number } | null;
  text: string;
}

/** A call's reservation, to hand back to settle when the call ends; null when no quota applies to it. */
export interface QuotaReservation {
  id: string;
  promptTokens: number;
  /** What it takes on each binding policy, in policy order. */
  items: ReservationItem[];
  /** When it was planned: the periods are those of this moment. */
  at: Date;
}

export interface QuotaStatus {
  window: QuotaWindow;
  model: string | null;
  maxRequests: number | null;
  usedRequests: number;
  maxTokens: number | null;
  usedTokens: number;
  resetsAt: Date;
}

/**
 * The one check in front of every model call (conversations and /v1). Before a call, `reserve` takes its estimate
 * (one request; its prompt plus its maximum answer in tokens) on every policy that binds the caller and the model,
 * all at once and only if none goes over; when the call ends, `settle` replaces that by what it really used.
 */
@Injectable()
export class QuotasService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QuotasService.name);
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly quotas: QuotasRepository,
    private readonly policies: QuotaPoliciesService,
    private readonly metrics: MetricsService,
    @Inject(quotasConfig.KEY) private readonly config: QuotasConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /**
   * What the call would reserve on the policies that bind the caller and the model, or null when none does; taken
   * by reserveWithin in the transaction that stores the call's messages. Reads no database (policies are cached).
   */
  async plan(principal: AuthUser, modelId: string, estimate: CallEstimate): Promise<QuotaReservation | null> {
    const policies = await this.policies.applicable(principal.id, modelId);
    if (policies.length === 0) return null;
    // Always in the same order, so that concurrent calls lock a person's counters in the same order.
    policies.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const at = new Date();
    const tokens = estimate.promptTokens + (estimate.maxTokens ?? this.config.defaultMaxTokens);
    return {
      id: randomUUID(),
      promptTokens: estimate.promptTokens,
      at,
      items: policies.map((policy) => ({
        policy,
        userId: principal.id,
        period: periodOf(policy.window, at),
        requests: 1,
        tokens,
      })),
    };
  }

  /**
   * Takes a planned reservation in the caller's transaction, or refuses the call with QUOTA_EXCEEDED (429,
   * Retry-After) when a limit would be passed, having written nothing. The transaction's rollback undoes it.
   */
  async reserveWithin(manager: EntityManager, reservation: QuotaReservation | null): Promise<void> {
    if (!reservation) return;
    const refusal = await this.quotas.reserveWithin(
      manager,
      reservation.id,
      reservation.items,
      this.expiry(reservation),
      new Date(),
    );
    if (refusal) throw this.refused(refusal);
  }

  /** Takes the call's estimate in a transaction of its own, or refuses it as reserveWithin does. */
  async reserve(principal: AuthUser, modelId: string, estimate: CallEstimate): Promise<QuotaReservation | null> {
    const reservation = await this.plan(principal, modelId, estimate);
    if (!reservation) return null;
    const refusal = await this.quotas.reserve(reservation.id, reservation.items, this.expiry(reservation), new Date());
    if (refusal) throw this.refused(refusal);
    return reservation;
  }

  /**
   * Replaces the reservation by the call's use (see used): in the caller's transaction when given one (the one
   * that stores the answer), whose failure it then fails; else in a transaction of its own, and then it never
   * fails the call: a reservation that could not be settled is given back when it expires.
   */
  async settle(reservation: QuotaReservation | null, outcome: CallOutcome, manager?: EntityManager): Promise<void> {
    if (!reservation) return;
    const used = this.used(reservation, outcome);
    if (manager) return this.quotas.settleWithin(manager, reservation.id, reservation.items, used);
    try {
      await this.quotas.settle(reservation.id, reservation.items, used);
    } catch (error) {
      this.logger.warn(`a quota reservation could not be settled: ${(error as Error).message}`);
    }
  }

  /** Gives the reservation back whole: the call never started. */
  release(reservation: QuotaReservation | null): Promise<void> {
    return this.settle(reservation, { usage: null, text: '' });
  }

  /** The quotas that bind this person now, with what they have used in the current period. */
  async statusOf(principal: AuthUser): Promise<QuotaStatus[]> {
    const policies = await this.policies.applicable(principal.id);
    const now = new Date();
    const counters = await this.quotas.countersOf(
      principal.id,
      policies.map((policy) => ({ policyId: policy.id, period: periodOf(policy.window, now) })),
    );
    return policies.map((policy) => {
      const counter = counters.find(
        (candidate) => candidate.policyId === policy.id && candidate.period === periodOf(policy.window, now),
      );
      return {
        window: policy.window,
        model: policy.model,
        maxRequests: policy.maxRequests,
        usedRequests: counter?.usedRequests ?? 0,
        maxTokens: policy.maxTokens,
        usedTokens: counter?.usedTokens ?? 0,
        resetsAt: resetsAt(policy.window, now),
      };
    });
  }

  /**
   * The provider's reported tokens; without a report, nothing when the call produced nothing (it failed or was
   * cancelled first), else the prompt estimate and the text's.
   */
  private used(reservation: QuotaReservation, outcome: CallOutcome): { requests: number; tokens: number } {
    if (outcome.usage) return { requests: 1, tokens: outcome.usage.promptTokens + outcome.usage.completionTokens };
    if (outcome.text === '') return { requests: 0, tokens: 0 };
    return { requests: 1, tokens: reservation.promptTokens + estimateTokens(outcome.text) };
  }

  private expiry(reservation: QuotaReservation): Date {
    return new Date(reservation.at.getTime() + RESERVATION_TTL_MS);
  }

  private refused({ policy, limit, usedRequests, usedTokens, asked }: QuotaRefusal): QuotaExceededError {
    this.metrics.quotaRefusals.inc({ window: policy.window });
    const now = new Date();
    const resets = resetsAt(policy.window, now);
    return new QuotaExceededError(
      policy.window,
      limit,
      limit === 'requests' ? policy.maxRequests! : policy.maxTokens!,
      limit === 'requests' ? usedRequests : usedTokens,
      asked,
      resets,
      secondsUntil(resets, now),
    );
  }

  private async sweep(): Promise<void> {
    try {
      const released = await this.quotas.releaseExpired(new Date());
      if (released > 0) this.logger.warn(`${released} quota reservation(s) of calls that never ended given back`);
    } catch (error) {
      this.logger.warn(`expired quota reservations could not be given back: ${(error as Error).message}`);
    }
  }
}

/** About 3.5 characters a token, as the prompt budget counts them. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}
