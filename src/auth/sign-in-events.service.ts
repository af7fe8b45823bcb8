import { Injectable } from '@nestjs/common';
import { AuditLog } from '../common/audit/audit-log.service';
import { AppError } from '../common/errors/app.error';
import { MetricsService, SignInMethod, signInOutcomeOf } from '../common/metrics/metrics.service';
import { ProviderSignInError } from './auth.errors';

/**
 * What becomes of sign-in attempts, told to the metrics (every attempt) and to the audit log (refusals; a sign-in
 * that succeeds is recorded with its session, in the same transaction, by TokensService).
 */
@Injectable()
export class SignInEvents {
  constructor(
    private readonly metrics: MetricsService,
    private readonly audit: AuditLog,
  ) {}

  passed(method: SignInMethod, outcome: 'success' | 'mfa_required'): void {
    this.metrics.signIn(method, outcome);
  }

  /** `details` says what was tried (the email typed, the provider), never a password, code or token. */
  async refused(method: SignInMethod, error: unknown, details: Record<string, string> = {}): Promise<void> {
    this.metrics.signIn(method, signInOutcomeOf(error));
    const reason = error instanceof AppError || error instanceof ProviderSignInError ? error.code : 'INTERNAL_ERROR';
    await this.audit.note({ action: 'auth.sign_in', outcome: 'failure', details: { method, reason, ...details } });
  }
}
