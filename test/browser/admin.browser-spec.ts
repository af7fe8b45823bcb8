import { randomUUID } from 'node:crypto';
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
/** A time as SQLite's rows hold it. */
const sqliteTime = (date: Date) => date.toISOString().replace('T', ' ').slice(0, -1);

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

  it('loads more usage lines and audit events for what is shown, not for what the filters hold since', async () => {
    const admin = await registerAdmin(server.t);
    const caller = await registerUser(server.t);
    // 55 days with a call, and 55 events of one action on one day, long enough ago that no other test adds to them.
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const at = (date: Date) => (server.t.dataSource.options.type === 'postgres' ? date : sqliteTime(date));
    for (let i = 0; i < 55; i++) {
      await server.t.query(
        'INSERT INTO usage_records (id, user_id, model, status, prompt_tokens, completion_tokens, latency_ms, day, ' +
          "created_at) VALUES (?, ?, 'echo/echo', 'complete', 1, 1, 10, ?, ?)",
        [randomUUID(), caller.user.id, day(200 + i), at(new Date(`${day(200 + i)}T12:00:00Z`))],
      );
      await server.t.query(
        "INSERT INTO audit_events (id, at, actor_id, action, outcome) VALUES (?, ?, ?, 'api_key.revoked', 'success')",
        [randomUUID(), at(new Date(`${day(100)}T12:00:${String(i).padStart(2, '0')}Z`)), caller.user.id],
      );
    }
    const { page } = await openPage(browser);
    await signIn(page, admin.user.email, admin.password);
    await page.getByRole('button', { name: 'Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Administration' });

    const usage = dialog.getByRole('table', { name: 'Usage of the API' });
    await dialog.getByLabel('Per', { exact: true }).selectOption('day');
    await dialog.locator('#admin-usage-from').fill(day(254));
    await dialog.locator('#admin-usage-to').fill(day(200));
    await dialog.getByRole('button', { name: 'Show', exact: true }).click();
    await dialog.getByText('55 calls and 110 tokens in this period.').waitFor();
    expect(await usage.locator('tbody tr').count()).toBe(50);
    // Another period typed in, not asked for yet: the next lines are still those of the period shown.
    await dialog.locator('#admin-usage-to').fill(day(254));
    await dialog.getByRole('button', { name: 'Load more lines' }).click();
    // Its label says "Loading…" meanwhile: wait for the rows, not for the button to go.
    await usage.locator('tbody tr').nth(54).waitFor();
    await dialog.getByText('55 calls and 110 tokens in this period.').waitFor();
    expect(await usage.locator('tbody tr td:first-child').allTextContents()).toEqual(
      Array.from({ length: 55 }, (_, i) => day(254 - i)),
    );

    const log = dialog.getByRole('table', { name: 'Audit log' });
    await dialog.getByRole('combobox', { name: 'Action' }).selectOption('api_key.revoked');
    await dialog.locator('#admin-audit-from').fill(day(100));
    await dialog.locator('#admin-audit-to').fill(day(100));
    await dialog.getByRole('button', { name: 'Show events' }).click();
    await dialog.getByRole('button', { name: 'Load more events' }).waitFor();
    expect(await log.locator('tbody tr').count()).toBe(50);
    await dialog.getByRole('combobox', { name: 'Action' }).selectOption('user.deleted');
    await dialog.getByRole('button', { name: 'Load more events' }).click();
    await log.locator('tbody tr').nth(54).waitFor();
    await page.locator('#admin-audit-more').waitFor({ state: 'hidden' });
    const actions = await log.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(actions).toEqual(Array.from({ length: 55 }, () => 'api_key.revoked'));
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
