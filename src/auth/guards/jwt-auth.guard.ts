import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { API_KEY_AUTH_KEY } from '../../common/decorators/api-key-auth.decorator';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';
import { AccessTokenExpiredError, InvalidTokenError } from '../auth.errors';

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

  /**
   * `info` is why passport-jwt refused the token. Only a token that verified but is past its `exp` is reported as
   * expired (jsonwebtoken checks the signature first), so a client can tell "refresh and retry" from "sign in".
   */
  handleRequest<T>(error: unknown, user: T, info: unknown): T {
    if (error) throw error;
    if (user) return user;
    if (info instanceof Error && info.name === 'TokenExpiredError') throw new AccessTokenExpiredError();
    throw new InvalidTokenError('a valid access token is required');
  }
}
