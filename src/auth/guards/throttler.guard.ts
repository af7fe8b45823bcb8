import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthUser } from '../../common/auth-user';
import { clientTracker, requestBudgetKey } from '../../common/throttling/request-budget';

/**
 * Counts requests per signed-in user, or per client IP before sign-in. Runs after authentication, so that it
 * knows the user; requests authentication refuses are counted there (AuthFailuresService).
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected getTracker(request: Record<string, unknown>): Promise<string> {
    const user = request.user as AuthUser | undefined;
    return Promise.resolve(clientTracker(user?.id, String(request.ip)));
  }

  /** One budget per client for the whole API, as RATE_LIMIT_PER_MINUTE promises; the default key is per route. */
  protected generateKey(_context: ExecutionContext, tracker: string): string {
    return requestBudgetKey(tracker);
  }
}
