import type { Browser, Page } from 'playwright-core';
import { completeWithEcho, createApiKey } from '../support/api-keys';
import { bearer, registerAdmin, registerUser, uniqueEmail } from '../support/auth';
import {
  accessibilityViolations,
  ChatServer,
  openPage,
  screenshotPath,
  signInThroughPage,
  startChatServerAndBrowser,
} from '../support/browser';
import { registerWithMfa } from '../support/mfa';

const PUBLIC_URL = 'http://chat.example.test:8080';
/** How the People table names someone who kept the display name made from their email. */
const nameAndEmail = (email: string) => `${email.split('@')[0]} (${email})`;

describe('The Admin dialog in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser({ PUBLIC_URL }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const signIn = (page: Page, email: string, password: string) =>
    signInThroughPage(page, server.t.url, email, password);

  it('is offered to admins only', async () => {
    const person = await registerUser(server.t);
    const { page } = await openPage(browser);
    await signIn(page, person.user.email, person.password);
    expect(await page.getByRole('button', { name: 'Admin' }).isVisible()).toBe(false);
  });

  it('lists people and changes their role and access, turns off two-factor, and hands over reset links', async () => {
    const admin = await registerAdmin(server.t);
    const person = await registerUser(server.t, { email: uniqueEmail('aaa-person') });
    const withMfa = await registerWithMfa(server.t);
    const { page } = await openPage(browser);
    await signIn(page, admin.user.email, admin.password);

    await page.getByRole('button', { name: 'Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Administration' });
    const people = dialog.getByRole('table', { name: 'People' });
    await people.getByRole('cell', { name: nameAndEmail(person.user.email), exact: true }).waitFor();
    // The admin cannot lock themselves out from here.
    expect(await dialog.getByRole('combobox', { name: `Role of ${admin.user.email}` }).isDisabled()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath('admin-dialog.png') });

    await dialog.getByRole('combobox', { name: `Role of ${person.user.email}` }).selectOption('admin');
    await dialog.getByText(`${person.user.email} is now an admin.`).waitFor();
    await dialog.getByRole('button', { name: `Disable ${person.user.email}` }).click();
    await dialog.getByText(`${person.user.email} is disabled and signed out everywhere.`).waitFor();
    const stored = await server.t.query('SELECT role, disabled FROM users WHERE id = ?', [person.user.id]);
    expect(stored).toEqual([{ role: 'admin', disabled: expect.anything() }]);
    expect(Boolean(stored[0].disabled)).toBe(true);
    await server.t.http().post('/auth/login').send({ email: person.user.email, password: person.password }).expect(401);

    await dialog.getByRole('button', { name: `Turn off two-factor sign-in of ${withMfa.user.email}` }).click();
    await page
      .getByRole('dialog', { name: 'Turn off two-factor sign-in?' })
      .getByRole('button', { name: 'Turn off' })
      .click();
    await dialog.getByText(`Two-factor sign-in is off for ${withMfa.user.email}.`).waitFor();
    const login = await server.t
      .http()
      .post('/auth/login')
      .send({ email: withMfa.user.email, password: withMfa.password })
      .expect(200);
    expect(login.body.mfaRequired).toBeUndefined();

    await dialog.getByRole('button', { name: `Reset link for ${withMfa.user.email}` }).click();
    await dialog.getByText(`A password-reset link for ${withMfa.user.email}`, { exact: false }).waitFor();
    const url = (await dialog.locator('#admin-link-url').textContent()) ?? '';
    expect(url).toMatch(new RegExp(`^${PUBLIC_URL}/#reset=[A-Za-z0-9_-]{43}$`));
    const token = url.slice(url.indexOf('#reset=') + '#reset='.length);
    await server.t.http().post('/auth/password/reset').send({ token, newPassword: 'handed-over-1' }).expect(204);
  });

  it('adds a person, and shows usage per person and per model', async () => {
    const admin = await registerAdmin(server.t);
    const caller = await registerUser(server.t);
    const key = await createApiKey(server.t, caller.accessToken);
    await completeWithEcho(server.t, key.key, 'count me');
    const { page } = await openPage(browser);
    await signIn(page, admin.user.email, admin.password);
    await page.getByRole('button', { name: 'Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Administration' });

    const newcomer = uniqueEmail('newcomer');
    await dialog.getByLabel('Email').fill(newcomer);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByText(`Added ${newcomer}. Hand them a reset link to choose a password.`).waitFor();
    await dialog
      .getByRole('table', { name: 'People' })
      .getByRole('cell', { name: nameAndEmail(newcomer), exact: true })
      .waitFor();
    expect(await server.t.query('SELECT role FROM users WHERE email = ?', [newcomer])).toEqual([{ role: 'user' }]);

    const usage = dialog.getByRole('table', { name: 'Usage of the API' });
    const callerRow = usage.getByRole('row').filter({ hasText: caller.user.email });
    await callerRow.waitFor();
    expect(await callerRow.getByRole('cell').nth(1).textContent()).toBe('1');
    await dialog.getByLabel('Per', { exact: true }).selectOption('model');
    await usage.getByRole('cell', { name: 'echo/echo' }).waitFor();
    await usage.getByRole('columnheader', { name: 'Model' }).waitFor();
  });

  it('shows the audit log: who did what to whom, from where, and refused sign-ins, filtered by action', async () => {
    const admin = await registerAdmin(server.t);
    const person = await registerUser(server.t, { email: uniqueEmail('audited') });
    await server.t.http().post('/auth/login').send({ email: person.user.email, password: 'not it at all' }).expect(401);
    await server.t
      .http()
      .patch(`/users/${person.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ role: 'admin' })
      .expect(200);
    const { page } = await openPage(browser);
    await signIn(page, admin.user.email, admin.password);
    await page.getByRole('button', { name: 'Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Administration' });
    const log = dialog.getByRole('table', { name: 'Audit log' });

    const roleChange = log
      .getByRole('row')
      .filter({ hasText: 'user.role_changed' })
      .filter({ hasText: person.user.email });
    await roleChange.waitFor();
    expect(await roleChange.getByRole('cell').allTextContents()).toEqual([
      expect.any(String),
      'user.role_changed',
      admin.user.email,
      person.user.email,
      'done',
      expect.stringMatching(/127\.0\.0\.1$/),
      'from: user, to: admin',
    ]);

    await dialog.getByRole('combobox', { name: 'Action' }).selectOption('auth.sign_in');
    await dialog.getByRole('button', { name: 'Show events' }).click();
    const refused = log.getByRole('row').filter({ hasText: `email: ${person.user.email}` });
    await refused.waitFor();
    expect(await refused.getByRole('cell').nth(4).textContent()).toBe('failed');
    expect(await refused.getByRole('cell').nth(6).textContent()).toContain('reason: INVALID_CREDENTIALS');
    const actions = await log.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(actions)).toEqual(new Set(['auth.sign_in']));
  });
});
