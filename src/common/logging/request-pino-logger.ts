import { Injectable, Scope } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { requestLogger } from './request-log';

/**
 * nestjs-pino's logger, bound to the request being served: a line logged while it runs carries the request's `req`
 * (its id above all), as the request line does (logRequests).
 */
@Injectable({ scope: Scope.TRANSIENT })
export class RequestPinoLogger extends PinoLogger {
  override get logger(): Pino {
    return requestLogger() ?? super.logger;
  }
}
