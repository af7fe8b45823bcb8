import type { AuditLog } from '../common/audit/audit-log.service';
import { Logger } from '@nestjs/common';
import type { UsersService } from '../users/users.service';
import { InvalidDateRangeError } from '../common/errors/app.error';
import type { UsageRepository } from './usage.repository';
import { resolveUsageRange, UsageService } from './usage.service';

const now = new Date('2026-03-15T23:30:00Z');

describe('resolveUsageRange', () => {
  it('is the last 30 days, today (UTC) included, by default', () => {
    expect(resolveUsageRange({}, now)).toEqual({ from: '2026-02-14', to: '2026-03-15' });
  });

  it('takes both ends as given, one day included', () => {
    expect(resolveUsageRange({ from: '2026-01-01', to: '2026-01-31' }, now)).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
    });
    expect(resolveUsageRange({ from: '2026-01-05', to: '2026-01-05' }, now)).toEqual({
      from: '2026-01-05',
      to: '2026-01-05',
    });
  });

  it('runs up to today from a given start, and 30 days back from a given end', () => {
    expect(resolveUsageRange({ from: '2026-03-01' }, now)).toEqual({ from: '2026-03-01', to: '2026-03-15' });
    // 2024 is a leap year: February 1 to March 1 is 30 days.
    expect(resolveUsageRange({ to: '2024-03-01' }, now)).toEqual({ from: '2024-02-01', to: '2024-03-01' });
  });

  it('refuses a range that runs backwards, naming both ends', () => {
    expect(() => resolveUsageRange({ from: '2026-03-02', to: '2026-03-01' }, now)).toThrow(InvalidDateRangeError);
    expect(() => resolveUsageRange({ from: '2026-03-16' }, now)).toThrow(/2026-03-16.*2026-03-15/);
  });

  it('takes 366 days and refuses 367', () => {
    expect(resolveUsageRange({ from: '2025-01-01', to: '2026-01-01' }, now)).toEqual({
      from: '2025-01-01',
      to: '2026-01-01',
    });
    expect(() => resolveUsageRange({ from: '2024-01-01', to: '2025-01-01' }, now)).toThrow(/at most 366 days/);
  });
});

describe('UsageService.record', () => {
  it('stores the call on the UTC day it was made', async () => {
    const repository = { insert: jest.fn(async () => undefined) };
    const service = new UsageService(repository as unknown as UsageRepository, {} as UsersService, {} as AuditLog);
    const entry = {
      userId: 'u1',
      model: 'echo/echo',
      servedBy: 'echo/echo',
      status: 'complete' as const,
      errorCode: null,
      promptTokens: 3,
      completionTokens: 2,
      latencyMs: 40,
    };

    await service.record(entry, new Date('2026-03-15T23:59:59.999+00:00'));

    expect(repository.insert).toHaveBeenCalledWith({
      ...entry,
      day: '2026-03-15',
      createdAt: new Date('2026-03-15T23:59:59.999Z'),
    });
  });

  it('logs a failure to store instead of failing the call it records', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const repository = { insert: jest.fn().mockRejectedValue(new Error('database is locked')) };
    const service = new UsageService(repository as unknown as UsageRepository, {} as UsersService, {} as AuditLog);

    await expect(
      service.record({
        userId: 'u1',
        model: 'echo/echo',
        servedBy: null,
        status: 'error',
        errorCode: 'UPSTREAM_ERROR',
        promptTokens: 0,
        completionTokens: 0,
        latencyMs: 1,
      }),
    ).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledWith(expect.stringContaining('database is locked'));
    error.mockRestore();
  });
});
