import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiErrors } from '../common/decorators/api-errors.decorator';
import { Public } from '../common/decorators/public.decorator';
import { MailService } from '../mail/mail.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly mail: MailService,
  ) {}

  @Public()
  @SkipThrottle()
  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness and database check',
    description:
      'Also reports how mail is set up (`info.mail`: `configured`, `delivery`), which never fails the check: mail ' +
      'waiting for an unreachable server goes out once it is back (how many wait: `colloquy_mail_pending` on /metrics).',
  })
  @ApiErrors(503)
  check() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      () => this.indicators.check('mail').up({ ...this.mail.state() }),
    ]);
  }
}
