import { MfaToken } from '../../src/auth/entities/mfa-token.entity';
import { bearer, registerAdmin, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { awayFromStepEdge, codeAt, registerWithMfa, registerWithMfaSetup, startMfaLogin } from '../support/mfa';

describe('Two-factor sign-in (TOTP)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const loginMfa = (mfaToken: string, code: string) => t.http().post('/auth/login/mfa').send({ mfaToken, code });

  describe('setting up', () => {
    it('answers the secret, its otpauth URL and a QR code, and is not on until confirmed', async () => {
      const me = await registerUser(t);
      expect(me.user).toMatchObject({ mfaEnabled: false });
      const res = await t
        .http()
        .post('/auth/mfa/totp')
        .set(bearer(me.accessToken))
        .send({ password: me.password })
        .expect(200);
      const body = res.body as { secret: string; otpauthUrl: string; qrCodeSvg: string };
      expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(body.otpauthUrl).toContain(`secret=${body.secret}`);
      expect(body.qrCodeSvg).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(Buffer.from(body.qrCodeSvg.split(',')[1], 'base64').toString('utf8')).toContain('<svg');

      await t.http().post('/auth/login').send({ email: me.user.email, password: me.password }).expect(200);
      const me2 = await t.http().get('/auth/me').set(bearer(me.accessToken)).expect(200);
      expect(me2.body).toMatchObject({ mfaEnabled: false });
    });

    it('refuses a wrong password (401) and a wrong first code (400)', async () => {
      const me = await registerUser(t);
      const wrong = await t
        .http()
        .post('/auth/mfa/totp')
        .set(bearer(me.accessToken))
        .send({ password: 'wrong-password' })
        .expect(401);
      expect(wrong.body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      const setup = await t
        .http()
        .post('/auth/mfa/totp')
        .set(bearer(me.accessToken))
        .send({ password: me.password })
        .expect(200);
      const secret = (setup.body as { secret: string }).secret;
      const res = await t
        .http()
        .post('/auth/mfa/totp/confirm')
        .set(bearer(me.accessToken))
        .send({ code: codeAt(secret, 10) })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_SETUP_CODE' });
    });

    it('takes the first code as the app shows it, in two groups', async () => {
      const me = await registerWithMfaSetup(t);
      await awayFromStepEdge();
      const code = codeAt(me.secret);
      const res = await t
        .http()
        .post('/auth/mfa/totp/confirm')
        .set(bearer(me.accessToken))
        .send({ code: ` ${code.slice(0, 3)} ${code.slice(3)} ` })
        .expect(200);
      expect((res.body as { backupCodes: string[] }).backupCodes).toHaveLength(10);
    });

    it('answers 400 MFA_SETUP_NOT_STARTED for a confirm without a setup', async () => {
      const me = await registerUser(t);
      const res = await t
        .http()
        .post('/auth/mfa/totp/confirm')
        .set(bearer(me.accessToken))
        .send({ code: '123456' })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'MFA_SETUP_NOT_STARTED' });
    });

    it('answers 10 backup codes once, shows mfaEnabled, and refuses a second setup with 409', async () => {
      const me = await registerWithMfa(t);
      expect(me.backupCodes).toHaveLength(10);
      expect(new Set(me.backupCodes).size).toBe(10);
      const res = await t.http().get('/auth/me').set(bearer(me.accessToken)).expect(200);
      expect(res.body).toMatchObject({ mfaEnabled: true });
      const again = await t
        .http()
        .post('/auth/mfa/totp')
        .set(bearer(me.accessToken))
        .send({ password: me.password })
        .expect(409);
      expect(again.body).toMatchObject({ code: 'MFA_ALREADY_ENABLED' });
    });

    it('turns on once when two confirms race with two good codes: the backup codes answered are the ones that work', async () => {
      for (let round = 0; round < 3; round++) {
        const { secret, ...me } = await registerWithMfaSetup(t);
        await awayFromStepEdge();
        const confirm = (code: string) =>
          t.http().post('/auth/mfa/totp/confirm').set(bearer(me.accessToken)).send({ code });
        // The current step first, then the next one: both are good codes, and the second is later than the first.
        const answers = await Promise.all([confirm(codeAt(secret)), confirm(codeAt(secret, 1))]);
        const confirmed = answers.filter((res) => res.status === 200);
        expect(answers.map((res) => res.status).filter((status) => status === 200)).toEqual([200]);
        for (const codes of confirmed.map((res) => (res.body as { backupCodes: string[] }).backupCodes)) {
          const mfaToken = await startMfaLogin(t, me.user.email, me.password);
          await loginMfa(mfaToken, codes[0]).expect(200);
        }
        const audited = await t.query(
          "SELECT id FROM audit_events WHERE action = 'auth.mfa_enabled' AND actor_id = ?",
          [me.user.id],
        );
        expect(audited).toHaveLength(1);
      }
    });

    it('keeps the secret encrypted and the backup codes hashed', async () => {
      const me = await registerWithMfa(t);
      const [row] = (await t.dataSource
        .createQueryBuilder()
        .select('totp_secret_encrypted', 'sealed')
        .from('users', 'u')
        .where('u.id = :id', { id: me.user.id })
        .getRawMany()) as { sealed: string }[];
      expect(row.sealed).toBeTruthy();
      expect(row.sealed).not.toContain(me.secret);
      expect(Buffer.from(row.sealed, 'base64').toString('latin1')).not.toContain(me.secret);
      const codes = (await t.dataSource
        .createQueryBuilder()
        .select('code_hash', 'hash')
        .from('mfa_backup_codes', 'c')
        .where('c.user_id = :id', { id: me.user.id })
        .getRawMany()) as { hash: string }[];
      expect(codes).toHaveLength(10);
      const stored = codes.map((c) => c.hash).join(' ');
      for (const code of me.backupCodes) {
        expect(stored).not.toContain(code);
        expect(stored).not.toContain(code.replace(/-/g, ''));
      }
    });
  });

  describe('signing in', () => {
    it('answers 503 MFA_UNAVAILABLE, saying why, when the secret cannot be read (the key was changed); backup codes still work', async () => {
      const me = await registerWithMfa(t);
      // Sealed with another key: the same length, other bytes.
      await t.query('UPDATE users SET totp_secret_encrypted = ? WHERE id = ?', [
        Buffer.alloc(60, 7).toString('base64'),
        me.user.id,
      ]);
      const refused = await loginMfa(await startMfaLogin(t, me.user.email, me.password), '123456').expect(503);
      expect(refused.body).toMatchObject({
        code: 'MFA_UNAVAILABLE',
        message: expect.stringContaining('DATA_ENCRYPTION_KEY was changed'),
      });
      await loginMfa(await startMfaLogin(t, me.user.email, me.password), me.backupCodes[0]).expect(200);
    });

    it('answers mfaRequired with no tokens, then tokens for a good code; the code is refused a second time', async () => {
      const me = await registerWithMfa(t);
      const res = await t.http().post('/auth/login').send({ email: me.user.email, password: me.password }).expect(200);
      expect(res.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
      await awayFromStepEdge();
      const code = codeAt(me.secret);
      const ok = await loginMfa((res.body as { mfaToken: string }).mfaToken, code).expect(200);
      expect(ok.body).toMatchObject({
        user: { id: me.user.id, mfaEnabled: true },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
      });
      await t
        .http()
        .get('/auth/me')
        .set(bearer((ok.body as { accessToken: string }).accessToken))
        .expect(200);

      const mfaToken = await startMfaLogin(t, me.user.email, me.password);
      const replay = await loginMfa(mfaToken, code).expect(401);
      expect(replay.body).toMatchObject({ code: 'INVALID_MFA_CODE' });
    });

    it('accepts a code of the previous step and of the next one, but not two steps away', async () => {
      const me = await registerWithMfa(t);
      await awayFromStepEdge();
      const farPast = codeAt(me.secret, -2);
      const farFuture = codeAt(me.secret, 2);
      const previous = codeAt(me.secret, -1);
      const next = codeAt(me.secret, 1);
      let mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await loginMfa(mfaToken, farPast).expect(401);
      await loginMfa(mfaToken, farFuture).expect(401);
      await loginMfa(mfaToken, previous).expect(200);
      mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await loginMfa(mfaToken, next).expect(200);
    });

    it('refuses an earlier step once a later one was used', async () => {
      const me = await registerWithMfa(t);
      await awayFromStepEdge();
      let mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await loginMfa(mfaToken, codeAt(me.secret, 1)).expect(200);
      mfaToken = await startMfaLogin(t, me.user.email, me.password);
      const res = await loginMfa(mfaToken, codeAt(me.secret, 0)).expect(401);
      expect(res.body).toMatchObject({ code: 'INVALID_MFA_CODE' });
    });

    it('lets only one of two parallel uses of one code through', async () => {
      const me = await registerWithMfa(t);
      await awayFromStepEdge();
      const code = codeAt(me.secret);
      const tokens = await Promise.all([1, 2].map(() => startMfaLogin(t, me.user.email, me.password)));
      const statuses = (await Promise.all(tokens.map((token) => loginMfa(token, code)))).map((r) => r.status);
      expect(statuses.sort()).toEqual([200, 401]);
    });

    it('accepts a backup code once, in any case and with or without dashes', async () => {
      const me = await registerWithMfa(t);
      const [code] = me.backupCodes;
      let mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await loginMfa(mfaToken, code.replace(/-/g, '').toUpperCase()).expect(200);
      mfaToken = await startMfaLogin(t, me.user.email, me.password);
      const res = await loginMfa(mfaToken, code).expect(401);
      expect(res.body).toMatchObject({ code: 'INVALID_MFA_CODE' });
      await loginMfa(mfaToken, me.backupCodes[1]).expect(200);
    });

    it('takes each mfaToken once', async () => {
      const me = await registerWithMfa(t);
      const mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await loginMfa(mfaToken, me.backupCodes[0]).expect(200);
      const res = await loginMfa(mfaToken, me.backupCodes[1]).expect(401);
      expect(res.body).toMatchObject({ code: 'INVALID_TOKEN' });
    });

    it('refuses an expired mfaToken, and an unknown one', async () => {
      const me = await registerWithMfa(t);
      const mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await t.dataSource
        .createQueryBuilder()
        .update(MfaToken)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where('user_id = :id', { id: me.user.id })
        .execute();
      const res = await loginMfa(mfaToken, me.backupCodes[0]).expect(401);
      expect(res.body).toMatchObject({ code: 'INVALID_TOKEN' });
      await loginMfa('not-a-token', me.backupCodes[0]).expect(401);
    });

    it('answers ACCOUNT_DISABLED at the code step when an admin disabled the account after the password step', async () => {
      const admin = await registerAdmin(t);
      const me = await registerWithMfa(t);
      const mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await t.http().patch(`/users/${me.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
      const res = await loginMfa(mfaToken, me.backupCodes[0]).expect(401);
      expect(res.body).toMatchObject({ code: 'ACCOUNT_DISABLED', message: 'this account is disabled' });
      expect(res.body).not.toHaveProperty('accessToken');
    });

    it('refuses an mfaToken from before a password change', async () => {
      const me = await registerWithMfa(t);
      const mfaToken = await startMfaLogin(t, me.user.email, me.password);
      await t
        .http()
        .post('/users/me/password')
        .set(bearer(me.accessToken))
        .send({ currentPassword: me.password, newPassword: 'another-horse-2' })
        .expect(204);
      const res = await loginMfa(mfaToken, me.backupCodes[0]).expect(401);
      expect(res.body).toMatchObject({ code: 'INVALID_TOKEN' });
    });
  });

  describe('turning it off', () => {
    it('needs the password and a code', async () => {
      const me = await registerWithMfa(t);
      const off = (body: object) => t.http().delete('/auth/mfa/totp').set(bearer(me.accessToken)).send(body);
      await off({ password: 'wrong-password', code: me.backupCodes[0] }).expect(401);
      const wrongCode = await off({ password: me.password, code: '0000-0000-0000-0000' }).expect(401);
      expect(wrongCode.body).toMatchObject({ code: 'INVALID_MFA_CODE' });
      await off({ password: me.password, code: me.backupCodes[0] }).expect(204);
      const res = await t.http().post('/auth/login').send({ email: me.user.email, password: me.password }).expect(200);
      expect(res.body).toMatchObject({ user: { mfaEnabled: false }, accessToken: expect.any(String) });
      await off({ password: me.password, code: me.backupCodes[1] }).expect(409);
    });

    it('can be done by an admin for a user (DELETE /users/:id/mfa), not by anyone else', async () => {
      const me = await registerWithMfa(t);
      const other = await registerUser(t);
      const admin = await registerAdmin(t);
      await t.http().delete(`/users/${me.user.id}/mfa`).set(bearer(other.accessToken)).expect(403);
      await t
        .http()
        .delete('/users/00000000-0000-4000-8000-00000000abcd/mfa')
        .set(bearer(admin.accessToken))
        .expect(404);
      await t.http().delete(`/users/${me.user.id}/mfa`).set(bearer(admin.accessToken)).expect(204);
      const res = await t.http().post('/auth/login').send({ email: me.user.email, password: me.password }).expect(200);
      expect(res.body).toMatchObject({ accessToken: expect.any(String) });
    });
  });
});
