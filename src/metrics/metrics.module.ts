import { Module } from '@nestjs/common';
import { MetricsRegistryModule } from '../common/metrics/metrics-registry.module';
import { MetricsController } from './metrics.controller';

/** GET /metrics; the series themselves are MetricsService's, in common/, written by every feature. */
@Module({ imports: [MetricsRegistryModule], controllers: [MetricsController] })
export class MetricsModule {}
