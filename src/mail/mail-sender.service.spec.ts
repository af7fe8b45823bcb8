import type { MailOutboxRepository } from './mail-outbox.repository';
import { MailSender } from './mail-sender.service';
import { MailDeliveryError, MailTransport } from './mail-transport';
import type { OutboxMail } from './outbox-mail.entity';

const RETRY_MIN_MS = 1_000;

function mail(id: string, attempts: number): OutboxMail {
  return {
    id,
    recipient: `${id}@example.com`,
    subject: 'Subject',
    text: 'text',
    html: '<p>html</p>',
    attempts,
    nextAttemptAt: new Date(),
    sentAt: null,
    lastError: null,
    createdAt: new Date(),
  };
}

function setup(options: { due: string[]; attempts?: number; claimable?: string[]; failure?: Error }) {
  const claimable = new Set(options.claimable ?? options.due);
  const outbox = {
    listDue: jest.fn().mockResolvedValueOnce(options.due).mockResolvedValue([]),
    nextDueAt: jest.fn(async () => null),
    claim: jest.fn(async (id: string) => (claimable.delete(id) ? mail(id, options.attempts ?? 1) : null)),
    markSent: jest.fn(async () => undefined),
    markFailed: jest.fn(async () => undefined),
  };
  const sent: string[] = [];
  class RecordingTransport extends MailTransport {
    send(outgoing: { recipient: string }): Promise<void> {
      if (options.failure) return Promise.reject(options.failure);
      sent.push(outgoing.recipient);
      return Promise.resolve();
    }
  }
  const sender = new MailSender(outbox as unknown as MailOutboxRepository, new RecordingTransport(), {
    delivery: 'smtp',
    smtpUrl: 'smtp://127.0.0.1:25',
    from: 'no-reply@example.com',
    retryMinMs: RETRY_MIN_MS,
  });
  return { sender, outbox, sent };
}

/** Starts the sender, lets its first round run, and stops it. */
async function runOnce(sender: MailSender, outbox: { nextDueAt: jest.Mock }) {
  sender.onApplicationBootstrap();
  await new Promise<void>((resolve) => {
    outbox.nextDueAt.mockImplementationOnce(async () => {
      resolve();
      return null;
    });
  });
  await sender.onModuleDestroy();
}

describe('MailSender', () => {
  it('sends the mails it claims, and skips one another sender claimed first', async () => {
    const { sender, outbox, sent } = setup({ due: ['a', 'b'], claimable: ['b'] });
    await runOnce(sender, outbox);
    expect(sent).toEqual(['b@example.com']);
    expect(outbox.markSent).toHaveBeenCalledTimes(1);
    expect(outbox.markSent).toHaveBeenCalledWith('b');
  });

  it.each([
    [1, RETRY_MIN_MS],
    [3, 4 * RETRY_MIN_MS],
    [40, 60 * 60_000],
  ])('after failed attempt %i, tries again within the upper half of %i ms', async (attempts, ceiling) => {
    const { sender, outbox } = setup({
      due: ['a'],
      attempts,
      failure: new MailDeliveryError('ESOCKET connect ECONNREFUSED', false),
    });
    const before = Date.now();
    await runOnce(sender, outbox);
    const [[id, error, retryAt]] = outbox.markFailed.mock.calls as unknown as [string, string, Date][];
    expect([id, error]).toEqual(['a', 'ESOCKET connect ECONNREFUSED']);
    expect(retryAt.getTime() - before).toBeGreaterThanOrEqual(ceiling / 2 - 5);
    expect(retryAt.getTime() - Date.now()).toBeLessThanOrEqual(ceiling);
    expect(outbox.markSent).not.toHaveBeenCalled();
  });

  it('gives a mail up when the server refuses it for good', async () => {
    const { sender, outbox } = setup({
      due: ['a'],
      failure: new MailDeliveryError('EENVELOPE 550 no such user', true),
    });
    await runOnce(sender, outbox);
    expect(outbox.markFailed).toHaveBeenCalledWith('a', 'EENVELOPE 550 no such user', null);
  });
});
