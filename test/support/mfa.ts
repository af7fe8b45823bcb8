import { Secret, TOTP } from 'otpauth';
import { bearer, registerUser } from './auth';
import type { TestApp } from './create-test-app';

const PERIOD_MS = 30_000;

/** The code an authenticator app would show `steps` periods from now. */
export function codeAt(secret: string, steps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + steps * PERIOD_MS });
}

/**
 * Waits while the current 30-second step ends within the next 3 seconds, so that a code computed here is still in
 * the step the server sees (the ±1 window tests depend on which step "now" is, not on how long anything takes).
 */
export async function awayFromStepEdge(): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < 3000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/**
 * A user with two-factor sign-in on. The step the setup code used is forgotten afterwards, as if the setup was
 * minutes ago, so that a test may use any code of the current window.
 */
/** A new user who has started setting up two-factor sign-in (not confirmed yet), with its secret. */
export async function registerWithMfaSetup(t: TestApp) {
  const session = await registerUser(t);
  const setup = await t
    .http()
    .post('/auth/mfa/totp')
    .set(bearer(session.accessToken))
    .send({ password: session.password })
    .expect(200);
  return { ...session, secret: (setup.body as { secret: string }).secret };
}

export async function registerWithMfa(t: TestApp) {
  const { secret, ...session } = await registerWithMfaSetup(t);
  await awayFromStepEdge();
  const confirmed = await t
    .http()
    .post('/auth/mfa/totp/confirm')
    .set(bearer(session.accessToken))
    .send({ code: codeAt(secret) })
    .expect(200);
  await t.dataSource
    .createQueryBuilder()
    .update('users')
    .set({ totpLastStep: null })
    .where('id = :id', { id: session.user.id })
    .execute();
  return { ...session, secret, backupCodes: (confirmed.body as { backupCodes: string[] }).backupCodes };
}

export async function startMfaLogin(t: TestApp, email: string, password: string): Promise<string> {
  const res = await t.http().post('/auth/login').send({ email, password }).expect(200);
  return (res.body as { mfaToken: string }).mfaToken;
}
