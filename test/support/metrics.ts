import type { AppConfig } from '../../src/config/app.config';
import { MetricsService } from '../../src/common/metrics/metrics.service';

/** The series of an app without METRICS_TOKEN, for services built by hand in unit specs. */
export const metricsOff = () => new MetricsService({ metricsToken: null } as AppConfig);
