import { Logger } from '@nestjs/common';
import { currentRequest } from '../../src/common/request-context/request-context';
import { bearer, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { freePort } from '../support/server-process';
import { resetTokenIn, SMTP_PASSWORD, SMTP_USER, TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait-for';

interface OutboxRow {
  attempts: number;
  text: string;
  html: string;
  sent_at: unknown;
  next_attempt_at: unknown;
  last_error: string | null;
}

const METRICS_TOKEN = 'mail-metrics-token-0123456789';

describe('Mail outbox', () => {
  let port: number;
  let t: TestApp;
  let smtp: TestSmtpServer | undefined;
  const pendingOnMetrics = async () => {
    const res = await t.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);
    return Number(/^colloquy_mail_pending (\d+)$/m.exec(res.text)![1]);
  };

  beforeAll(async () => {
    // The mail server is down at first: nothing listens on its port.
    port = await freePort();
    t = await createTestApp({
      SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
      PASSWORD_RESET_MAX_PER_IP: '100000',
      // The shortest first retry allowed, so the retries of a few seconds' outage fit in a test.
      MAIL_RETRY_MIN_MS: '100',
      METRICS_TOKEN,
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp?.stop();
  });

  it('keeps a mail while the server is unreachable, retrying with backoff, and sends it once it is back', async () => {
    const user = await registerUser(t);
    const healthBefore = (await t.http().get('/health').expect(200)).body.info.mail;
    // The sender's lines are about mails, not about the request that happened to wake it.
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const senderLinesInRequests: unknown[] = [];
    warn.mockImplementation(function (this: Logger, message: unknown) {
      if (String(message).startsWith('mail ') && currentRequest()) senderLinesInRequests.push(message);
    });
    try {
      await t
        .http()
        .post('/auth/password/forgot')
        .set('X-Request-Id', 'forgot-request')
        .send({ email: user.user.email })
        .expect(202);

      const outbox = () => t.query<OutboxRow>('SELECT * FROM mail_outbox WHERE recipient = ?', [user.user.email]);
      const failing = await waitFor(outbox, (rows) => rows.length === 1 && rows[0].attempts >= 3, 10_000);
      expect(failing).toEqual([expect.objectContaining({ sent_at: null, last_error: expect.any(String) })]);
      expect(failing[0].next_attempt_at).not.toBeNull();
      // The third was claimed, so the second had failed and been logged.
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^mail .*attempt 2:/));
      expect(senderLinesInRequests).toEqual([]);
      expect(failing[0].last_error).not.toContain(SMTP_PASSWORD);

      // /health stays healthy and tells nothing of the mails (that one waits says the address has an account);
      // /metrics, for the operator, counts them.
      const health = await t.http().get('/health').expect(200);
      expect(health.body.status).toBe('ok');
      expect(health.body.info.mail).toEqual({ status: 'up', configured: true, delivery: 'smtp' });
      expect(health.body.info.mail).toEqual(healthBefore);
      expect(await pendingOnMetrics()).toBe(1);
    } finally {
      warn.mockRestore();
    }
    const outbox = () => t.query<OutboxRow>('SELECT * FROM mail_outbox WHERE recipient = ?', [user.user.email]);

    smtp = await TestSmtpServer.start(port, (recipient) => recipient.startsWith('refused-'));
    const mail = await smtp.waitForMailTo(user.user.email, 20_000);

    const token = resetTokenIn(mail);
    await t.http().post('/auth/password/reset').send({ token, newPassword: 'set after the outage' }).expect(204);
    await t.http().post('/auth/login').send({ email: user.user.email, password: 'set after the outage' }).expect(200);
    const [sent] = await waitFor(outbox, (rows) => rows[0].sent_at !== null);
    // Sent, the mail keeps no text: it held a working link, whose token is otherwise stored only as a hash.
    expect(sent).toEqual(expect.objectContaining({ next_attempt_at: null, last_error: null, text: '', html: '' }));
    expect(smtp.mailsTo(user.user.email)).toHaveLength(1);
    expect(await pendingOnMetrics()).toBe(0);
  }, 60_000);

  it('gives a mail up, without retrying, when the server refuses it for good', async () => {
    // Follows the test above, which brought the server up.
    const user = await registerUser(t, { email: uniqueEmail('refused') });
    await t.http().post('/auth/password/forgot').send({ email: user.user.email }).expect(202);

    const outbox = () => t.query<OutboxRow>('SELECT * FROM mail_outbox WHERE recipient = ?', [user.user.email]);
    const [given] = await waitFor(outbox, (rows) => rows.length === 1 && rows[0].last_error !== null, 10_000);
    expect(given).toEqual(
      expect.objectContaining({
        attempts: 1,
        sent_at: null,
        next_attempt_at: null,
        last_error: expect.stringContaining('550'),
        text: '',
        html: '',
      }),
    );
    expect(await pendingOnMetrics()).toBe(0);
  });
});

describe('Mail outbox with a mail server that refuses the sign-in', () => {
  const wrongPassword = 'wrong-smtp-password-kept-out-of-sight';
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      SMTP_URL: `smtp://${SMTP_USER}:${wrongPassword}@127.0.0.1:${smtp.port}`,
      PASSWORD_RESET_MAX_PER_IP: '100000',
      MAIL_RETRY_MIN_MS: '100',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('keeps trying (the setting can be fixed), and shows the reason without the password', async () => {
    const user = await registerUser(t);
    await t.http().post('/auth/password/forgot').send({ email: user.user.email }).expect(202);

    const [row] = await waitFor(
      () => t.query<OutboxRow>('SELECT * FROM mail_outbox WHERE recipient = ?', [user.user.email]),
      (rows) => rows.length === 1 && rows[0].attempts >= 2,
      10_000,
    );
    expect(row).toEqual(expect.objectContaining({ sent_at: null, last_error: expect.stringContaining('EAUTH') }));
    expect(row.next_attempt_at).not.toBeNull();
    // Still to be sent, it keeps its text.
    expect(row.text).toContain('#reset=');
    expect(row.last_error).not.toContain(wrongPassword);
    expect(smtp.mails).toEqual([]);
  });
});
