import { Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** Imported by every module that counts something; Nest makes one instance of it, so one registry per app. */
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsRegistryModule {}
