import { Logger, Module } from '@nestjs/common';
import { AuditLogModule } from '../common/audit/audit-log.module';
import { MetricsRegistryModule } from '../common/metrics/metrics-registry.module';
import { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { LifecycleModule } from '../common/lifecycle/lifecycle.module';
import { WindowCountersModule } from '../common/throttling/window-counters.module';
import { authConfig } from '../config/auth.config';
import { MailModule } from '../mail/mail.module';
import { UsersModule } from '../users/users.module';
import { AuthFailuresService } from './auth-failures.service';
import { AuthController } from './auth.controller';
import { AuthHousekeeping } from './auth-housekeeping.service';
import { AuthService } from './auth.service';
import { Identity } from './entities/identity.entity';
import { MfaBackupCode } from './entities/mfa-backup-code.entity';
import { MfaToken } from './entities/mfa-token.entity';
import { PasswordResetToken } from './entities/password-reset-token.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { UserSession } from './entities/user-session.entity';
import { ApiKeyAuthGuard } from './guards/api-key-auth.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { AppThrottlerGuard } from './guards/throttler.guard';
import { LoginAttemptsService } from './login-attempts.service';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';
import { SignInEvents } from './sign-in-events.service';
import { PasswordResetTokensRepository } from './password-reset-tokens.repository';
import { PasswordResetsController } from './password-resets.controller';
import { PasswordResetsService } from './password-resets.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { IdentitiesController } from './identities.controller';
import { IdentitiesRepository } from './identities.repository';
import { IdentitiesService } from './identities.service';
import { LinkingCallerService } from './linking-caller.service';
import { ProviderSignInController } from './provider-sign-in.controller';
import { ProviderSignInService } from './provider-sign-in.service';
import { SignInProvidersService } from './sign-in-providers.service';
import { SignInStateService } from './sign-in-state.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { TokensService } from './tokens.service';

@Module({
  imports: [
    UsersModule,
    ApiKeysModule,
    MailModule,
    LifecycleModule,
    MetricsRegistryModule,
    AuditLogModule,
    WindowCountersModule,
    PassportModule,
    TypeOrmModule.forFeature([RefreshToken, UserSession, PasswordResetToken, MfaToken, MfaBackupCode, Identity]),
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: (config: ConfigType<typeof authConfig>) => {
        if (config.jwtSecretGenerated) {
          new Logger('Auth').warn(
            'JWT_SECRET is not set: using a random secret; sign-ins end when the server restarts',
          );
        }
        return {
          secret: config.jwtKey,
          signOptions: { algorithm: 'HS256', expiresIn: config.accessTtlSeconds },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
  ],
  controllers: [
    AuthController,
    SessionsController,
    PasswordResetsController,
    MfaController,
    ProviderSignInController,
    IdentitiesController,
  ],
  providers: [
    AuthService,
    AuthHousekeeping,
    AuthFailuresService,
    TokensService,
    LoginAttemptsService,
    MfaService,
    SignInEvents,
    RefreshTokensRepository,
    SessionsService,
    SessionsRepository,
    PasswordResetsService,
    PasswordResetTokensRepository,
    SignInProvidersService,
    SignInStateService,
    ProviderSignInService,
    LinkingCallerService,
    IdentitiesService,
    IdentitiesRepository,
    LocalStrategy,
    JwtStrategy,
    // Order matters: identify the caller (access token or API key), then count their requests, then check their
    // role. A request the first two refuse is counted by them (AuthFailuresService): the rate limiter never sees it.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: ApiKeyAuthGuard },
    { provide: APP_GUARD, useClass: AppThrottlerGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [AuthService],
})
export class AuthModule {}
