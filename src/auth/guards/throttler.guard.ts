import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthUser } from '../../common/auth-user';

/** Counts requests per signed-in user, or per client IP before sign-in. */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected getTracker(request: Record<string, unknown>): Promise<string> {
    const user = request.user as AuthUser | undefined;
    return Promise.resolve(user ? `user:${user.id}` : `ip:${String(request.ip)}`);
  }
}
