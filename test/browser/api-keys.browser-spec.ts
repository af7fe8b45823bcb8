import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { completeWithEcho, createApiKey } from '../support/api-keys';
import { registerUser } from '../support/auth';
import {
  accessibilityViolations,
  ChatServer,
  eventually,
  openPage,
  screenshotPath,
  signInThroughPage,
  signUpThroughPage,
  startChatServerAndBrowser,
} from '../support/browser';

const DAY_MS = 86_400_000;
const utcDay = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString().slice(0, 10);

/** The Account dialog's API keys and API usage sections, found the way a person (or a screen reader) finds them. */
const account = (page: Page) => {
  const dialog = page.getByRole('dialog', { name: 'Account' });
  const keys = dialog.getByRole('region', { name: 'API keys' });
  const usage = dialog.getByRole('region', { name: 'API usage' });
  return {
    open: page.getByRole('button', { name: 'Account' }),
    dialog,
    close: dialog.getByRole('button', { name: 'Close', exact: true }),
    keys,
    keyItems: keys.getByRole('list', { name: 'API keys' }).getByRole('listitem'),
    keyName: keys.getByRole('textbox', { name: 'Name of the key' }),
    makeKey: keys.getByRole('button', { name: 'Make key' }),
    secret: keys.locator('#api-key-new-value'),
    usage,
    usageRows: usage.getByRole('table', { name: 'API usage' }).locator('tbody tr'),
    usageTotals: usage.getByRole('table', { name: 'API usage' }).locator('tfoot tr'),
  };
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('API keys and API usage in the Account dialog', () => {
  let server: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const storedKeys = (email: string) =>
    server.t.query<{ name: string; prefix: string; key_hash: string }>(
      'SELECT k.name, k.prefix, k.key_hash FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email = ?',
      [email],
    );
  const models = (key: string) => server.t.http().get('/v1/models').set('Authorization', `Bearer ${key}`);

  it('makes a key whose secret is shown once and works on /v1, lists it, and revokes it after asking', async () => {
    const { context, page } = await openPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.t.url });
    const { email } = await signUpThroughPage(page, server.t.url);
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/users/me/api-keys') {
        posts.push(request.url());
      }
    });
    const ui = account(page);

    await ui.open.click();
    await ui.keys.getByText('You have no API keys.').waitFor();
    await ui.usage.getByText(/^No calls through your API keys from /).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);

    // A key without a name is refused in the page, before anything is sent.
    await ui.keyName.fill('   ');
    await ui.makeKey.click();
    await ui.keys.getByText('Give the key a name, to tell it from your other keys.').waitFor();
    expect(posts).toEqual([]);
    expect(await storedKeys(email)).toEqual([]);

    await ui.keyName.fill('laptop scripts');
    await ui.makeKey.click();
    await ui.keys.getByText('it is shown this once and cannot be read again', { exact: false }).waitFor();
    const secret = (await ui.secret.textContent()) ?? '';
    expect(secret).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    await ui.keys.getByText(`${server.t.url}/v1`, { exact: true }).waitFor();
    await ui.keys.getByText('Authorization: Bearer <key>', { exact: true }).waitFor();
    expect(await ui.keys.getByText('Give the key a name', { exact: false }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath('api-key-made.png') });

    await ui.keys.getByRole('button', { name: 'Copy the key' }).click();
    await ui.keys.getByText('Copied the key.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // Listed by its name and prefix; the server keeps only the prefix and the hash.
    expect(await ui.keyItems.count()).toBe(1);
    const listed = ui.keyItems.first();
    await listed.getByText('laptop scripts', { exact: true }).waitFor();
    await listed.getByText(`${secret.slice(0, 11)}…`, { exact: true }).waitFor();
    expect(await listed.textContent()).toContain('never used');
    expect(await listed.textContent()).toContain('never expires');
    await ui.keys.getByText('You have 1 API key.', { exact: false }).waitFor();
    const stored = await storedKeys(email);
    expect(stored).toEqual([{ name: 'laptop scripts', prefix: secret.slice(0, 11), key_hash: sha256(secret) }]);
    expect(JSON.stringify(await server.t.query('SELECT * FROM api_keys'))).not.toContain(secret);

    // The secret works on /v1, over HTTP, as an OpenAI client would send it.
    const listedModels = await models(secret).expect(200);
    expect((listedModels.body as { data: { id: string }[] }).data.map((model) => model.id)).toContain('echo/echo');

    // Shown once: hidden, or the dialog closed and opened again, it is nowhere on the page.
    await ui.keys.getByRole('button', { name: 'Hide the key' }).click();
    expect(await page.content()).not.toContain(secret);
    await ui.close.click();
    await ui.open.click();
    await ui.keys.getByText('You have 1 API key.').waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await ui.keys.getByRole('button', { name: 'Copy the key' }).isVisible()).toBe(false);
    expect(await ui.keyItems.first().textContent()).toContain('last used');

    // Revoking asks first; Cancel keeps the key.
    const revoke = ui.keys.getByRole('button', { name: `Revoke API key laptop scripts (${secret.slice(0, 11)}…)` });
    const confirm = page.getByRole('dialog', { name: 'Revoke this API key?' });
    await revoke.click();
    await confirm.getByText('stops working at once', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await storedKeys(email)).toHaveLength(1);
    await models(secret).expect(200);

    await revoke.click();
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await ui.keys.getByText('Revoked “laptop scripts”. You have no API keys.').waitFor();
    expect(await ui.keyItems.count()).toBe(0);
    expect(await storedKeys(email)).toEqual([]);
    const refused = await models(secret).expect(401);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('shows the calls made with a key per day and model, with the totals, over a chosen range', async () => {
    const person = await registerUser(server.t);
    const key = await createApiKey(server.t, person.accessToken, { name: 'counted' });
    await completeWithEcho(server.t, key.key, 'count me');
    await eventually(
      async () =>
        (await server.t.query('SELECT id FROM usage_records WHERE user_id = ?', [person.user.id])).length === 1,
      'the call is recorded',
    );
    const { page } = await openPage(browser);
    await signInThroughPage(page, server.t.url, person.user.email, person.password);
    const ui = account(page);

    await ui.open.click();
    // The server's default range, the last 30 days, filled into the form from its answer.
    const [from, to] = [utcDay(29 * DAY_MS), utcDay()];
    await ui.usage.getByText(new RegExp(`^1 call and \\d+ tokens from ${from} to ${to} \\(UTC days\\)\\.$`)).waitFor();
    expect(await ui.usage.getByLabel('First day').inputValue()).toBe(from);
    expect(await ui.usage.getByLabel('Last day').inputValue()).toBe(to);
    expect(await ui.usageRows.count()).toBe(1);
    const cells = await ui.usageRows.first().getByRole('cell').allTextContents();
    expect(cells.slice(0, 4)).toEqual([to, 'echo/echo', '1', '0']);
    const [report] = await server.t.query<{ prompt_tokens: number; completion_tokens: number }>(
      'SELECT prompt_tokens, completion_tokens FROM usage_records WHERE user_id = ?',
      [person.user.id],
    );
    expect(cells.slice(4, 6)).toEqual([String(report.prompt_tokens), String(report.completion_tokens)]);
    expect(await ui.usageTotals.textContent()).toContain('Total');
    await ui.usage.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('api-usage.png') });
    expect(await accessibilityViolations(page)).toEqual([]);

    // A range without calls says so; a range the wrong way round is refused in the page.
    const yesterday = utcDay(DAY_MS);
    await ui.usage.getByLabel('First day').fill(yesterday);
    await ui.usage.getByLabel('Last day').fill(yesterday);
    await ui.usage.getByRole('button', { name: 'Show usage' }).click();
    await ui.usage.getByText(`No calls through your API keys from ${yesterday} to ${yesterday} (UTC days).`).waitFor();
    expect(await ui.usageRows.count()).toBe(0);
    await ui.usage.getByLabel('First day').fill(to);
    await ui.usage.getByRole('button', { name: 'Show usage' }).click();
    await ui.usage.getByText('The first day must not be after the last day.').waitFor();
  });

  it('pages through many keys and says so when the account has as many as it may', async () => {
    const person = await registerUser(server.t);
    for (let i = 0; i < 50; i++) await createApiKey(server.t, person.accessToken, { name: `key ${i}` });
    const { page } = await openPage(browser);
    await signInThroughPage(page, server.t.url, person.user.email, person.password);
    const ui = account(page);

    await ui.open.click();
    await ui.keys.getByText('You have 20 or more API keys.').waitFor();
    const more = ui.keys.getByRole('button', { name: 'Show more keys' });
    await more.click();
    await ui.keys.getByText('You have 40 or more API keys.').waitFor();
    await more.click();
    await ui.keys.getByText('You have 50 API keys.').waitFor();
    expect(await more.isVisible()).toBe(false);
    // Every key once, across the pages.
    const names = await ui.keyItems.locator('strong').allTextContents();
    expect(names.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `key ${i}`).sort());

    await ui.keyName.fill('one too many');
    await ui.makeKey.click();
    await ui.keys
      .getByText('You have as many API keys as an account may have. Revoke one you no longer use first.')
      .waitFor();
    expect(await storedKeys(person.user.email)).toHaveLength(50);
    expect(await ui.keyItems.count()).toBe(50);
  });
});
