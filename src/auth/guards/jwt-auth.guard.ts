import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { API_KEY_AUTH_KEY } from '../../common/decorators/api-key-auth.decorator';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';

/** Global: every route needs a valid access token unless it says @Public() (or @ApiKeyAuth(): see ApiKeyAuthGuard). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const usesApiKey = this.reflector.getAllAndOverride<boolean>(API_KEY_AUTH_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic || usesApiKey ? true : super.canActivate(context);
  }

  handleRequest<T>(error: unknown, user: T): T {
    if (error) throw error;
    if (!user) throw new UnauthorizedException({ message: 'a valid access token is required', code: 'UNAUTHORIZED' });
    return user;
  }
}
