import type { AuditLog } from '../common/audit/audit-log.service';
import type { UsersService } from '../users/users.service';
import { metricsOff } from '../../test/support/metrics';
import type { QuotaPolicy } from './entities/quota-policy.entity';
import { QuotaPoliciesService } from './quota-policies.service';
import { QuotaExceededError } from './quotas.errors';
import type { QuotasRepository } from './quotas.repository';
import { QuotasService } from './quotas.service';

const me = { id: 'u1', email: 'u1@example.com', role: 'user' as const };

function policy(overrides: Partial<QuotaPolicy>): QuotaPolicy {
  return {
    id: 'p',
    userId: null,
    model: null,
    window: 'day',
    maxRequests: 10,
    maxTokens: null,
    createdAt: new Date(0),
    ...overrides,
  };
}

function setup(policies: QuotaPolicy[]) {
  const repository = {
    listPolicies: jest.fn(async () => policies),
    reserve: jest.fn(async (): Promise<unknown> => null),
    settle: jest.fn(async () => undefined),
    countersOf: jest.fn(async () => []),
  };
  const rules = new QuotaPoliciesService(repository as unknown as QuotasRepository, {} as UsersService, {} as AuditLog);
  const metrics = metricsOff();
  const service = new QuotasService(repository as unknown as QuotasRepository, rules, metrics, {
    defaultMaxTokens: 1000,
  });
  return { repository, rules, service, metrics };
}

describe('QuotaPoliciesService.applicable', () => {
  it("puts a person's own policy in place of the default for the same window and model, and keeps the others", async () => {
    const everyoneDay = policy({ id: 'a' });
    const everyoneMonth = policy({ id: 'b', window: 'month' });
    const everyoneOpenAi = policy({ id: 'c', model: 'openai/*' });
    const mineDay = policy({ id: 'd', userId: 'u1', maxRequests: 100 });
    const theirs = policy({ id: 'e', userId: 'u2', window: 'month' });
    const { rules } = setup([everyoneDay, everyoneMonth, everyoneOpenAi, mineDay, theirs]);

    expect(await rules.applicable('u1', 'echo/echo')).toEqual([mineDay, everyoneMonth]);
    expect(await rules.applicable('u1', 'openai/gpt-4o')).toEqual([mineDay, everyoneMonth, everyoneOpenAi]);
    expect(await rules.applicable('u2')).toEqual([theirs, everyoneDay, everyoneOpenAi]);
  });

  it('reads the policies once for many calls: a call no policy covers costs no query', async () => {
    const { rules, repository } = setup([]);
    for (let i = 0; i < 50; i++) expect(await rules.applicable('u1', 'echo/echo')).toEqual([]);
    expect(repository.listPolicies).toHaveBeenCalledTimes(1);
  });
});

describe('QuotasService', () => {
  it('reserves nothing when no policy applies', async () => {
    const { service, repository } = setup([policy({ model: 'openai/*' })]);
    expect(await service.reserve(me, 'echo/echo', { promptTokens: 5 })).toBeNull();
    expect(repository.reserve).not.toHaveBeenCalled();
  });

  it('reserves one request and the prompt plus the most the answer may take, on every applying policy', async () => {
    const { service, repository } = setup([policy({ id: 'b', maxTokens: 9999 }), policy({ id: 'a', window: 'month' })]);
    const reservation = await service.reserve(me, 'echo/echo', { promptTokens: 5 });
    const [id, items] = repository.reserve.mock.calls[0] as unknown as [string, { policy: QuotaPolicy }[]];
    // What settle needs later: the same id and items.
    expect(reservation).toEqual({ id, promptTokens: 5, items, at: expect.any(Date) });
    expect(items.map((item) => ({ ...item, policy: item.policy.id }))).toEqual([
      { policy: 'a', userId: 'u1', period: expect.stringMatching(/^\d{4}-\d{2}$/), requests: 1, tokens: 1005 },
      { policy: 'b', userId: 'u1', period: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), requests: 1, tokens: 1005 },
    ]);
    await service.reserve(me, 'echo/echo', { promptTokens: 5, maxTokens: 20 });
    expect((repository.reserve.mock.calls[1] as unknown as [string, { tokens: number }[]])[1][0].tokens).toBe(25);
  });

  it('refuses with the limit passed, what is used of it, when it resets and how long to wait, and counts it', async () => {
    const limited = policy({ window: 'month', maxRequests: 3, maxTokens: 500 });
    const { service, repository, metrics } = setup([limited]);
    repository.reserve.mockResolvedValueOnce({ policy: limited, usedRequests: 1, usedTokens: 450, limit: 'tokens' });

    const refusal = await service.reserve(me, 'echo/echo', { promptTokens: 5 }).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(QuotaExceededError);
    const error = refusal as QuotaExceededError;
    const now = new Date();
    const resets = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    expect(error.fields).toEqual({ limit: 500, used: 450, resetsAt: resets });
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.message).toContain('monthly quota of 500 tokens');
    expect((await metrics.quotaRefusals.get()).values).toEqual([{ labels: { window: 'month' }, value: 1 }]);
  });

  it('settles with the reported usage, gives back a call that produced nothing, and estimates an unreported one', async () => {
    const { service, repository } = setup([]);
    const reservation = { id: 'r', promptTokens: 10, items: [], at: new Date() };
    await service.settle(reservation, { usage: { promptTokens: 7, completionTokens: 5 }, text: 'ignored' });
    await service.settle(reservation, { usage: null, text: '' });
    await service.settle(reservation, { usage: null, text: '12345678' });
    await service.settle(null, { usage: { promptTokens: 1, completionTokens: 1 }, text: '' });
    expect(repository.settle.mock.calls).toEqual([
      ['r', [], { requests: 1, tokens: 12 }],
      ['r', [], { requests: 0, tokens: 0 }],
      ['r', [], { requests: 1, tokens: 13 }],
    ]);
  });

  it('never fails the call when settling fails', async () => {
    const { service, repository } = setup([]);
    repository.settle.mockRejectedValueOnce(new Error('database down'));
    await expect(
      service.settle({ id: 'r', promptTokens: 1, items: [], at: new Date() }, { usage: null, text: 'x' }),
    ).resolves.toBeUndefined();
  });
});
