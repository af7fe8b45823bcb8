import {
  Controller,
  Get,
  Header,
  Headers,
  Inject,
  NotFoundException,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Registry } from 'prom-client';
import { ApiError } from '../common/decorators/api-errors.decorator';
import { Public } from '../common/decorators/public.decorator';
import { MetricsService } from '../common/metrics/metrics.service';
import { appConfig } from '../config/app.config';
import { bearerToken } from '../common/http/bearer-token';

const digest = (value: string) => createHash('sha256').update(value).digest();

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  private readonly expected: Buffer | null;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
  ) {
    this.expected = config.metricsToken === null ? null : digest(config.metricsToken);
  }

  // Not behind the JWT guard or the per-client budget: scrapers send METRICS_TOKEN, checked here, every few seconds.
  @Public()
  @SkipThrottle()
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format), for a scraper that sends METRICS_TOKEN',
    description:
      'HTTP request durations by route template, method and status; model calls by provider, model and outcome; ' +
      'time to first token; stream durations; tokens by kind; active generations; sign-in outcomes; and Node ' +
      "process metrics. Labels never hold user ids, emails, keys or URLs. Answers 404 when the server's " +
      'METRICS_TOKEN is not set.',
  })
  @ApiHeader({ name: 'Authorization', description: 'Bearer <METRICS_TOKEN>', required: true })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The series', schema: { type: 'string' } })
  @ApiError(401, 'A missing or wrong METRICS_TOKEN')
  @ApiError(404, 'METRICS_TOKEN is not set on this server: /metrics is off')
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!this.expected) throw new NotFoundException('Cannot GET /metrics');
    const presented = bearerToken(authorization) ?? '';
    // Compared as digests of equal length, so neither the length nor the content leaks through timing.
    if (!timingSafeEqual(digest(presented), this.expected)) throw new UnauthorizedException('wrong metrics token');
    // Set here, not by a decorator: error answers stay JSON.
    reply.header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE);
    return this.metrics.registry.metrics();
  }
}
