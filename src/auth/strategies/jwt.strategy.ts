import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AuthUser } from '../../common/auth-user';
import { authConfig } from '../../config/auth.config';
import { UsersService } from '../../users/users.service';
import { AccountDisabledError, InvalidTokenError } from '../auth.errors';
import type { AccessTokenPayload } from '../tokens.service';

/** Turns a verified access token into the caller; looks the user up so that disabling or a role change applies at once. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // jsonwebtoken accepts a KeyObject; passport-jwt's types only list string and Buffer.
      secretOrKey: config.jwtKey as unknown as Buffer,
      // Pinning the algorithm refuses `alg: none` and any key-confusion trick.
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: AccessTokenPayload): Promise<AuthUser> {
    const user = typeof payload.sub === 'string' ? await this.users.findPrincipalById(payload.sub) : null;
    if (!user) throw new InvalidTokenError('access token is no longer valid');
    if (user.disabled) throw new AccountDisabledError();
    return { id: user.id, email: user.email, role: user.role };
  }
}
