import { registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { freePort } from '../support/server-process';
import { SMTP_PASSWORD, SMTP_USER, TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait-for';

// Several processes share a database on PostgreSQL only (SQLite suits one process), so this runs there (see .ci/run).
describe('Mail outbox shared by two server processes', () => {
  let port: number;
  let a: TestApp;
  let b: TestApp;
  let smtp: TestSmtpServer | undefined;

  beforeAll(async () => {
    port = await freePort();
    const env = {
      SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
      PASSWORD_RESET_MAX_PER_IP: '100000',
      MAIL_RETRY_MIN_MS: '100',
    };
    a = await createTestApp(env);
    b = await createTestApp(env, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await smtp?.stop();
  });

  it('sends each mail once when both senders race for the same due mails', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => registerUser(a)));
    // Queued while the server is down, so both senders keep finding the same mails due, until it is back.
    for (const [i, user] of users.entries()) {
      await (i % 2 === 0 ? a : b).http().post('/auth/password/forgot').send({ email: user.user.email }).expect(202);
    }
    const failing = await waitFor(
      () => a.query<{ attempts: number }>('SELECT attempts FROM mail_outbox'),
      (rows) => rows.length === users.length && rows.every((row) => row.attempts >= 2),
      10_000,
    );
    expect(failing.map((row) => row.attempts >= 2)).toEqual(users.map(() => true));

    smtp = await TestSmtpServer.start(port);
    await waitFor(
      () => a.query<{ sent_at: unknown }>('SELECT sent_at FROM mail_outbox'),
      (rows) => rows.every((row) => row.sent_at !== null),
      20_000,
    );
    // Time for a second copy to arrive, had one been sent.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const user of users) expect(smtp.mailsTo(user.user.email)).toHaveLength(1);
    expect(smtp.mails).toHaveLength(users.length);
  }, 60_000);
});
