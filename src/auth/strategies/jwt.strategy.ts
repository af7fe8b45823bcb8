import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import type { AuthUser } from '../../common/auth-user';
import { authConfig } from '../../config/auth.config';
import { SessionsService } from '../sessions.service';
import type { AccessTokenPayload } from '../tokens.service';
import { bearerToken } from '../../common/http/bearer-token';

/**
 * Turns a verified access token into the caller; looks its session and user up so that ending the session,
 * disabling or a role change applies at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: (request: FastifyRequest) => bearerToken(request.headers.authorization) ?? null,
      // jsonwebtoken accepts a KeyObject; passport-jwt's types only list string and Buffer.
      secretOrKey: config.jwtKey as unknown as Buffer,
      // Pinning the algorithm refuses `alg: none` and any key-confusion trick.
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(payload: Partial<AccessTokenPayload>): Promise<AuthUser> {
    return this.sessions.authenticate(payload);
  }
}
