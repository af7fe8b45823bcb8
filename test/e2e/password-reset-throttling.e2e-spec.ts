import { registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { TestSmtpServer } from '../support/smtp';

const PER_EMAIL = 2;
const PER_IP = 4;

let ipCounter = 0;
const nextIp = () => `203.0.113.${++ipCounter}`;

describe('Password reset throttling', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      PASSWORD_RESET_MAX_PER_EMAIL: String(PER_EMAIL),
      PASSWORD_RESET_MAX_PER_IP: String(PER_IP),
      // Each test acts as its own client IP through X-Forwarded-For.
      TRUST_PROXY: '1',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const forgot = (email: string, ip: string) =>
    t.http().post('/auth/password/forgot').set('X-Forwarded-For', ip).send({ email });

  it('answers 429 after PASSWORD_RESET_MAX_PER_EMAIL requests for one email, from any address', async () => {
    const user = await registerUser(t);
    for (let i = 0; i < PER_EMAIL; i++) await forgot(user.user.email, nextIp()).expect(202);

    const refused = await forgot(user.user.email.toUpperCase(), nextIp()).expect(429);

    expect(refused.body.code).toBe('TOO_MANY_PASSWORD_RESETS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await smtp.waitForMailTo(user.user.email);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mailsTo(user.user.email)).toHaveLength(PER_EMAIL);
  });

  it('throttles an unknown email exactly as a known one, so a 429 tells nothing either', async () => {
    const known = await registerUser(t);
    const unknown = uniqueEmail('nobody');
    const answers = async (email: string) => {
      const statuses: number[] = [];
      for (let i = 0; i <= PER_EMAIL; i++) statuses.push((await forgot(email, nextIp())).status);
      return statuses;
    };
    expect(await answers(unknown)).toEqual(await answers(known.user.email));
  });

  it('answers 429 after PASSWORD_RESET_MAX_PER_IP requests from one address, whatever the emails', async () => {
    const ip = nextIp();
    for (let i = 0; i < PER_IP; i++) await forgot(uniqueEmail('spray'), ip).expect(202);

    const refused = await forgot(uniqueEmail('spray'), ip).expect(429);

    expect(refused.body.code).toBe('TOO_MANY_PASSWORD_RESETS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not held back.
    await forgot(uniqueEmail('spray'), nextIp()).expect(202);
  });
});
