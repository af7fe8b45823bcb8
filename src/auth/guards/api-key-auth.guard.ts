import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import type { AuthUser } from '../../common/auth-user';
import { API_KEY_AUTH_KEY } from '../../common/decorators/api-key-auth.decorator';
import { AuthFailuresService } from '../auth-failures.service';
import { bearerToken } from '../../common/http/bearer-token';

/**
 * Global, next to the JWT guard: on routes marked @ApiKeyAuth() it resolves `Authorization: Bearer ck_...` to
 * the key's owner, before the rate limit counts the request against them. Other routes pass untouched. A
 * refused request costs its IP, as with the JWT guard: every key looked up is a hash and a database read.
 */
@Injectable()
export class ApiKeyAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    private readonly failures: AuthFailuresService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const usesApiKey = this.reflector.getAllAndOverride<boolean>(API_KEY_AUTH_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!usesApiKey) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const authenticate = () => this.apiKeys.authenticate(bearerToken(request.headers.authorization));
    try {
      request.user = request.headers.authorization
        ? await this.failures.checkPresented(request.ip, authenticate)
        : await authenticate();
    } catch (error) {
      await this.failures.countRefusedRequest(request.ip);
      throw error;
    }
    return true;
  }
}
