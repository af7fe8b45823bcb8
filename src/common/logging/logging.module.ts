import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Logger, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import { appConfig } from '../../config/app.config';
import { RequestPinoLogger } from './request-pino-logger';
import { requestLoggerOptions } from './request-logger.options';

/**
 * nestjs-pino's logger for Nest and the app, without its LoggerModule, which would also mount pino-http as a
 * middleware on every route: requests are logged by a Fastify hook instead (logRequests).
 */
@Global()
@Module({
  providers: [
    {
      provide: PARAMS_PROVIDER_TOKEN,
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => requestLoggerOptions(config),
    },
    { provide: PinoLogger, useClass: RequestPinoLogger },
    Logger,
  ],
  exports: [Logger, PinoLogger],
})
export class LoggingModule {}
