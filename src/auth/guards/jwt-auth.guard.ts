import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { API_KEY_AUTH_KEY } from '../../common/decorators/api-key-auth.decorator';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';
import { AuthFailuresService } from '../auth-failures.service';
import { AccessTokenExpiredError, InvalidTokenError } from '../auth.errors';

/**
 * Global: every route needs a valid access token unless it says @Public() (or @ApiKeyAuth(): see ApiKeyAuthGuard).
 * A refused request still costs its IP: a request from its budget, and a failure when it carried a token.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly failures: AuthFailuresService,
  ) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const usesApiKey = this.reflector.getAllAndOverride<boolean>(API_KEY_AUTH_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic || usesApiKey) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authenticate = async () => (await super.canActivate(context)) as boolean;
    try {
      return request.headers.authorization
        ? await this.failures.checkPresented(request.ip, authenticate)
        : await authenticate();
    } catch (error) {
      await this.failures.countRefusedRequest(request.ip);
      throw error;
    }
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
