import { bearer, registerAdmin, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { resetTokenIn, SMTP_PASSWORD, TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait-for';

const PUBLIC_URL = 'http://chat.example.test:8080';

describe('Password reset', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Colloquy <no-reply@chat.example.test>',
      PUBLIC_URL,
      PASSWORD_RESET_MAX_PER_IP: '100000',
      MAIL_RETRY_MIN_MS: '100',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const forgot = (email: string) => t.http().post('/auth/password/forgot').send({ email });
  const reset = (token: string, newPassword: string) =>
    t.http().post('/auth/password/reset').send({ token, newPassword });

  it('mails a link to PUBLIC_URL whose token sets a new password once and ends every sign-in', async () => {
    const user = await registerUser(t);
    const other = await t.http().post('/auth/login').send({ email: user.user.email, password: user.password });

    await forgot(user.user.email.toUpperCase()).expect(202);
    const mail = await smtp.waitForMailTo(user.user.email);

    expect(mail.subject).toBe('Reset your Colloquy password');
    expect(mail.from?.value).toEqual([{ name: 'Colloquy', address: 'no-reply@chat.example.test' }]);
    const token = resetTokenIn(mail);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(mail.text).toContain(`${PUBLIC_URL}/#reset=${token}`);
    expect(mail.text).toContain('within 30 minutes');
    expect(mail.html).toContain(`href="${PUBLIC_URL}/#reset=${token}"`);
    // Only a hash of the token is stored, and the mail went through the outbox.
    const [stored] = await t.query<{ token_hash: string }>(
      'SELECT token_hash FROM password_reset_tokens WHERE user_id = ?',
      [user.user.id],
    );
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await t.query('SELECT * FROM password_reset_tokens'))).not.toContain(token);
    const outbox = await waitFor(
      () =>
        t.query<{ sent_at: unknown; attempts: number }>(
          'SELECT sent_at, attempts FROM mail_outbox WHERE recipient = ?',
          [user.user.email],
        ),
      (rows) => rows.length === 1 && rows[0].sent_at !== null,
    );
    expect(outbox).toEqual([expect.objectContaining({ attempts: 1 })]);

    await reset(token, 'a brand new password').expect(204);

    await t.http().post('/auth/login').send({ email: user.user.email, password: user.password }).expect(401);
    const signedIn = await t
      .http()
      .post('/auth/login')
      .send({ email: user.user.email, password: 'a brand new password' })
      .expect(200);
    expect(signedIn.body.user.id).toBe(user.user.id);
    // Every sign-in from before the reset has ended.
    for (const refreshToken of [user.refreshToken, other.body.refreshToken as string]) {
      const refused = await t.http().post('/auth/refresh').send({ refreshToken }).expect(401);
      expect(refused.body.code).toBe('SESSION_REVOKED');
    }
    // And their access tokens at their next request.
    const me = await t.http().get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`).expect(401);
    expect(me.body.code).toBe('SESSION_REVOKED');
    // The link works once.
    const reused = await reset(token, 'yet another password').expect(400);
    expect(reused.body.code).toBe('INVALID_RESET_TOKEN');
    await t.http().post('/auth/login').send({ email: user.user.email, password: 'a brand new password' }).expect(200);
  });

  it('gives one answer for an unknown, a used and an expired token', async () => {
    const user = await registerUser(t);
    await forgot(user.user.email).expect(202);
    const first = resetTokenIn(await smtp.waitForMailTo(user.user.email));
    await reset(first, 'first new password').expect(204);

    const admin = await registerAdmin(t);
    const link = await t
      .http()
      .post(`/users/${user.user.id}/password-reset-link`)
      .set(bearer(admin.accessToken))
      .expect(201);
    const expired = new URL(link.body.url as string).hash.slice('#reset='.length);
    await t.query('UPDATE password_reset_tokens SET expires_at = ? WHERE used_at IS NULL AND user_id = ?', [
      t.dataSource.options.type === 'postgres' ? new Date(Date.now() - 1000) : '2000-01-01 00:00:00.000',
      user.user.id,
    ]);

    const answers = await Promise.all([
      reset('x'.repeat(43), 'some new password').expect(400),
      reset(first, 'some new password').expect(400),
      reset(expired, 'some new password').expect(400),
    ]);
    for (const answer of answers) {
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_RESET_TOKEN',
        message: answers[0].body.message,
      });
    }
    await t.http().post('/auth/login').send({ email: user.user.email, password: 'first new password' }).expect(200);
  });

  it('retires the other open links of the user once one of them is used', async () => {
    const user = await registerUser(t);
    await forgot(user.user.email).expect(202);
    const first = resetTokenIn(await smtp.waitForMailTo(user.user.email));
    await forgot(user.user.email).expect(202);
    await waitFor(
      async () => smtp.mailsTo(user.user.email),
      (mails) => mails.length === 2,
    );
    const second = resetTokenIn(smtp.mailsTo(user.user.email)[1]);
    expect(second).not.toBe(first);

    await reset(second, 'the second link won').expect(204);
    expect((await reset(first, 'the first link lost').expect(400)).body.code).toBe('INVALID_RESET_TOKEN');
  });

  it('retires open links when the password changes another way, so an old link cannot undo the change', async () => {
    const user = await registerUser(t);
    await forgot(user.user.email).expect(202);
    const mailed = resetTokenIn(await smtp.waitForMailTo(user.user.email));

    await t
      .http()
      .post('/users/me/password')
      .set(bearer(user.accessToken))
      .send({ currentPassword: user.password, newPassword: 'changed while signed in' })
      .expect(204);

    expect((await reset(mailed, 'the old link tries').expect(400)).body.code).toBe('INVALID_RESET_TOKEN');
    await t
      .http()
      .post('/auth/login')
      .send({ email: user.user.email, password: 'changed while signed in' })
      .expect(200);
    // A link asked for after the change works as usual.
    await forgot(user.user.email).expect(202);
    await waitFor(
      async () => smtp.mailsTo(user.user.email),
      (mails) => mails.length === 2,
    );
    await reset(resetTokenIn(smtp.mailsTo(user.user.email)[1]), 'the new link works').expect(204);
  });

  it('answers an unknown or disabled account exactly as a known one, mailing nothing', async () => {
    const known = await registerUser(t);
    const disabled = await registerUser(t);
    const admin = await registerAdmin(t);
    await t
      .http()
      .patch(`/users/${disabled.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ disabled: true })
      .expect(200);
    const unknown = uniqueEmail('nobody');

    const answers = [await forgot(known.user.email), await forgot(unknown), await forgot(disabled.user.email)];
    const shape = (res: (typeof answers)[number]) => ({
      status: res.status,
      body: res.body as unknown,
      text: res.text,
      type: res.headers['content-type'],
      length: res.headers['content-length'],
    });
    expect(shape(answers[1])).toEqual(shape(answers[0]));
    expect(shape(answers[2])).toEqual(shape(answers[0]));
    expect(answers[0].status).toBe(202);

    await smtp.waitForMailTo(known.user.email);
    // Time for mails that should not exist to arrive, had they been queued.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mailsTo(unknown)).toEqual([]);
    expect(smtp.mailsTo(disabled.user.email)).toEqual([]);
    expect(await t.query('SELECT id FROM password_reset_tokens WHERE user_id = ?', [disabled.user.id])).toEqual([]);
  });

  it('takes about as long for an unknown email as for a known one', async () => {
    const rounds = 7;
    const known = await Promise.all(Array.from({ length: rounds }, () => registerUser(t)));
    const timed = async (email: string) => {
      const started = performance.now();
      await forgot(email).expect(202);
      return performance.now() - started;
    };
    const knownMs: number[] = [];
    const unknownMs: number[] = [];
    // Interleaved, so that a slower moment of the machine weighs on both sides alike.
    for (let i = 0; i < rounds; i++) {
      knownMs.push(await timed(known[i].user.email));
      unknownMs.push(await timed(uniqueEmail('nobody')));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    // Generous: the answer goes before the account is even looked up, so any difference is noise.
    expect(Math.abs(median(knownMs) - median(unknownMs))).toBeLessThan(50);
    await waitFor(
      async () => known.filter((user) => smtp.mailsTo(user.user.email).length > 0).length,
      (count) => count === rounds,
    );
  });

  it('validates the requests', async () => {
    const bad = await forgot('not-an-email').expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await t.http().post('/auth/password/forgot').send({ email: 'a@example.com', extra: 1 }).expect(400);
    await reset('some-token', 'short').expect(400);
    await t.http().post('/auth/password/reset').send({ newPassword: 'long enough password' }).expect(400);
  });

  describe('admin reset links (POST /users/:id/password-reset-link)', () => {
    it('hands an admin a working link for the user, and mails nothing', async () => {
      const admin = await registerAdmin(t);
      const user = await registerUser(t);
      const before = Date.now();

      const res = await t
        .http()
        .post(`/users/${user.user.id}/password-reset-link`)
        .set(bearer(admin.accessToken))
        .expect(201);

      expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'url']);
      expect(res.body.url).toMatch(new RegExp(`^${PUBLIC_URL}/#reset=[A-Za-z0-9_-]{43}$`));
      const expiresAt = Date.parse(res.body.expiresAt as string);
      expect(expiresAt - before).toBeGreaterThan(29 * 60_000);
      expect(expiresAt - before).toBeLessThanOrEqual(30 * 60_000 + 5_000);
      const token = new URL(res.body.url as string).hash.slice('#reset='.length);
      await reset(token, 'handed over password').expect(204);
      await t.http().post('/auth/login').send({ email: user.user.email, password: 'handed over password' }).expect(200);
      expect(smtp.mailsTo(user.user.email)).toEqual([]);
    });

    it('is for admins only, and 404 for an unknown user', async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const admin = await registerAdmin(t);
      await t.http().post(`/users/${other.user.id}/password-reset-link`).set(bearer(user.accessToken)).expect(403);
      await t.http().post(`/users/${other.user.id}/password-reset-link`).expect(401);
      const missing = await t
        .http()
        .post('/users/00000000-0000-4000-8000-000000000000/password-reset-link')
        .set(bearer(admin.accessToken))
        .expect(404);
      expect(missing.body.code).toBe('USER_NOT_FOUND');
      await t.http().post('/users/not-a-uuid/password-reset-link').set(bearer(admin.accessToken)).expect(400);
      expect(await t.query('SELECT id FROM password_reset_tokens WHERE user_id = ?', [other.user.id])).toEqual([]);
    });
  });

  it('reports the mailer on /health, without the SMTP password', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body.info.mail).toEqual({
      status: 'up',
      configured: true,
      delivery: 'smtp',
    });
    expect(res.text).not.toContain(SMTP_PASSWORD);
  });
});
