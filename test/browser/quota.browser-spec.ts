import type { Browser, Page } from 'playwright-core';
import { bearer, registerAdmin, registerUser } from '../support/auth';
import {
  accessibilityViolations,
  chat,
  ChatServer,
  openPage,
  sendAndWait,
  signInThroughPage,
  startChatServerAndBrowser,
} from '../support/browser';

describe('Quotas in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const signIn = (page: Page, email: string, password: string) =>
    signInThroughPage(page, server.t.url, email, password);

  it('lets an admin add and delete quotas, shows a person what is left, and says so when a send is refused', async () => {
    const admin = await registerAdmin(server.t);
    const person = await registerUser(server.t);

    const { page: adminPage } = await openPage(browser);
    await signIn(adminPage, admin.user.email, admin.password);
    await adminPage.getByRole('button', { name: 'Admin' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Administration' });
    const quotas = dialog.getByRole('table', { name: 'Quotas' });
    await dialog.getByText('No quotas: everyone uses the models as they need.').waitFor();
    const form = dialog.locator('#admin-quota-form');

    // One for everyone, then one for the person that replaces it for them.
    await form.getByLabel('Most requests (optional)').fill('50');
    await form.getByRole('button', { name: 'Add quota' }).click();
    await quotas.getByRole('cell', { name: 'Everyone', exact: true }).waitFor();
    await form.getByRole('combobox', { name: 'For' }).selectOption({ label: person.user.email });
    await form.getByLabel('Most requests (optional)').fill('1');
    await form.getByRole('button', { name: 'Add quota' }).click();
    await quotas.getByRole('cell', { name: person.user.email, exact: true }).waitFor();
    // Neither limit given: said so, nothing sent.
    await form.getByRole('button', { name: 'Add quota' }).click();
    await form.getByText('Give the most requests, the most tokens, or both.').waitFor();
    expect(await accessibilityViolations(adminPage)).toEqual([]);

    await dialog.getByRole('button', { name: 'Delete the day quota for Everyone' }).click();
    await adminPage
      .getByRole('dialog', { name: 'Delete this quota?' })
      .getByRole('button', { name: 'Delete quota' })
      .click();
    await quotas.getByRole('cell', { name: 'Everyone', exact: true }).waitFor({ state: 'detached' });
    const stored = await server.t.query<{ user_id: string | null; max_requests: number }>(
      'SELECT user_id, max_requests FROM quota_policies',
    );
    expect(stored).toEqual([{ user_id: person.user.id, max_requests: 1 }]);

    const { page } = await openPage(browser);
    await signIn(page, person.user.email, person.password);
    await page.getByRole('button', { name: 'Account' }).click();
    const account = page.getByRole('dialog', { name: 'Account' });
    const quota = account.getByRole('list', { name: 'Your quota' });
    await quota.getByText('1 of 1 request left').waitFor();
    await account.getByRole('button', { name: 'Close' }).click();

    const answer = await sendAndWait(page, 'hello quota');
    await answer.getByText('hello quota').waitFor();
    await page.getByRole('button', { name: 'Account' }).click();
    await quota.getByText('0 of 1 request left').waitFor();
    await account.getByRole('button', { name: 'Close' }).click();

    await chat(page).message.fill('one more');
    await chat(page).message.press('Enter');
    await chat(page)
      .alert.getByText(/You have used up your quota for the models\. It resets on .+\./)
      .waitFor();
    // Refused before anything was stored: the draft is given back.
    expect(await chat(page).message.inputValue()).toBe('one more');
  });

  it('offers every account for a quota, past the first page of users the server answers', async () => {
    const admin = await registerAdmin(server.t);
    // Accounts without a password: nothing to hash. One more than the largest page (100), the last one newest.
    let last = '';
    for (let i = 0; i < 101; i++) {
      last = `quota-person-${i}-${Date.now()}@example.com`;
      await server.t.http().post('/users').set(bearer(admin.accessToken)).send({ email: last }).expect(201);
    }

    const { page } = await openPage(browser);
    await signIn(page, admin.user.email, admin.password);
    await page.getByRole('button', { name: 'Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Administration' });
    const form = dialog.locator('#admin-quota-form');
    await form.getByRole('combobox', { name: 'For' }).selectOption({ label: last });
    await form.getByLabel('Most requests (optional)').fill('7');
    await form.getByRole('button', { name: 'Add quota' }).click();

    await dialog.getByRole('table', { name: 'Quotas' }).getByRole('cell', { name: last, exact: true }).waitFor();
  });

  it('shows every quota to an admin, past the first page the server answers', async () => {
    const admin = await registerAdmin(server.t);
    const http = () => server.t.http();
    const ids: string[] = [];
    // One more than the largest page (100).
    for (let i = 0; i < 101; i++) {
      const res = await http()
        .post('/admin/quotas')
        .set(bearer(admin.accessToken))
        .send({ scope: 'default', window: 'day', model: `many-${i}/*`, maxRequests: 1000 })
        .expect(201);
      ids.push(res.body.id as string);
    }
    try {
      const { page } = await openPage(browser);
      await signIn(page, admin.user.email, admin.password);
      await page.getByRole('button', { name: 'Admin' }).click();
      const quotas = page.getByRole('dialog', { name: 'Administration' }).getByRole('table', { name: 'Quotas' });
      await quotas.getByRole('cell', { name: 'many-100/*', exact: true }).waitFor();
      await quotas.getByRole('cell', { name: 'many-0/*', exact: true }).waitFor();
      const [{ n }] = await server.t.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM quota_policies');
      expect(Number(n)).toBeGreaterThan(100);
      expect(await quotas.locator('tbody tr').count()).toBe(Number(n));
    } finally {
      for (const id of ids) await http().delete(`/admin/quotas/${id}`).set(bearer(admin.accessToken)).expect(204);
    }
  });
});
