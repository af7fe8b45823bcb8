import type { AppConfig } from '../../config/app.config';
import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  const metrics = () => new MetricsService({ metricsToken: 'a-scrape-token-0123456789' } as AppConfig);

  it('counts the mail waiting in the outbox when scraped', async () => {
    const service = metrics();
    service.trackPendingMail(() => Promise.resolve(3));
    expect(await service.registry.metrics()).toMatch(/^colloquy_mail_pending 3$/m);
  });

  it('still answers the scrape, every other series included, while the database fails or hangs', async () => {
    const service = metrics();
    let pending: () => Promise<number> = () => Promise.resolve(2);
    service.trackPendingMail(() => pending());
    await service.registry.metrics();

    pending = () => Promise.reject(new Error('database is down'));
    const failed = await service.registry.metrics();
    expect(failed).toMatch(/^colloquy_mail_pending 2$/m);
    expect(failed).toMatch(/^colloquy_active_generations 0$/m);

    pending = () => new Promise(() => undefined);
    const startedAt = Date.now();
    const hung = await service.registry.metrics();
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(hung).toMatch(/^colloquy_mail_pending 2$/m);
  });
});
