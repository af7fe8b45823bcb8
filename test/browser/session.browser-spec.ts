import type { Browser, Response } from 'playwright-core';
import { bearer, registerAdmin, registerUser } from '../support/auth';
import {
  chat,
  chatSettled,
  ChatServer,
  openPage,
  sendAndWait,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

/** Access tokens here live two seconds, so that the page has to refresh them while people use it. */
const ACCESS_TTL_MS = 2_000;
const waitOutAccessToken = () => new Promise((resolve) => setTimeout(resolve, ACCESS_TTL_MS + 1_200));

/** What the page asked of the API and heard back, in order, as "METHOD path status". */
function recordApiCalls(tab: TestPage, appUrl: string): string[] {
  const calls: string[] = [];
  tab.page.on('response', (response: Response) => {
    const url = response.url();
    if (!url.startsWith(appUrl) || /\.(js|css|svg|html)$|\/$/.test(url)) return;
    calls.push(`${response.request().method()} ${new URL(url).pathname} ${response.status()}`);
  });
  return calls;
}

describe('Sessions in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;
  const tabs: TestPage[] = [];

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser({ JWT_ACCESS_TTL: '2s' }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newTab(): Promise<TestPage> {
    const tab = await openPage(browser);
    tabs.push(tab);
    return tab;
  }

  it('refreshes an access token the server refuses, and repeats the request, without the person noticing', async () => {
    const tab = await newTab();
    // The page's clock stands still, so it believes its token is fresh while the server has expired it.
    await tab.page.clock.setFixedTime(new Date());
    await signUpThroughPage(tab.page, server.t.url);
    const calls = recordApiCalls(tab, server.t.url);
    await waitOutAccessToken();

    const answer = await sendAndWait(tab.page, 'Still there?');

    expect(await answer.textContent()).toContain('Still there?');
    expect(await signInForm(tab.page).heading.isVisible()).toBe(false);
    expect(await chat(tab.page).alert.isHidden()).toBe(true);
    const first401 = calls.findIndex((call) => call.endsWith(' 401'));
    expect(first401).toBeGreaterThanOrEqual(0);
    expect(calls[first401 + 1]).toBe('POST /auth/refresh 200');
    expect(calls.slice(first401 + 2)).toContain(calls[first401].replace(/ 401$/, ' 201'));
  });

  it('refreshes ahead of expiry when the clock says the token is about to run out', async () => {
    const tab = await newTab();
    await signUpThroughPage(tab.page, server.t.url);
    const calls = recordApiCalls(tab, server.t.url);
    await waitOutAccessToken();

    await sendAndWait(tab.page, 'Hello again');

    expect(calls.filter((call) => call.endsWith(' 401'))).toEqual([]);
    const refresh = calls.indexOf('POST /auth/refresh 200');
    expect(refresh).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('POST /conversations 201')).toBeGreaterThan(refresh);
  });

  it('lets two tabs refresh at the same moment without signing each other out', async () => {
    const first = await newTab();
    await signUpThroughPage(first.page, server.t.url);
    const second = await first.context.newPage();
    await second.goto(`${server.t.url}/`);
    await chat(second).logout.waitFor();
    await chatSettled(second);
    const refreshes: number[] = [];
    first.context.on('response', (response) => {
      if (response.url().endsWith('/auth/refresh')) refreshes.push(response.status());
    });
    await waitOutAccessToken();

    // Both tabs need a new access token at once, with the one refresh cookie they share. Without care, the
    // second refresh would present the cookie the first one just used up, and the server would end the login.
    await Promise.all([chat(first.page).search.fill('nothing yet'), chat(second).search.fill('nothing yet')]);

    for (const page of [first.page, second]) {
      await chat(page).conversations.getByText('No conversations match “nothing yet”.').waitFor();
      expect(await signInForm(page).heading.isVisible()).toBe(false);
    }
    expect(refreshes).toEqual([200, 200]);
    await second.reload();
    await chat(second).logout.waitFor();
  });

  it('sends the person back to the sign-in form with a clear message when the session was revoked', async () => {
    const tab = await newTab();
    const { email, password } = await signUpThroughPage(tab.page, server.t.url);
    // Someone else uses the refresh token (as a thief would): the server sees it replayed and ends the login.
    const [cookie] = await tab.context.cookies();
    await server.t.http().post('/auth/refresh').send({ refreshToken: cookie.value }).expect(200);
    await waitOutAccessToken();

    await chat(tab.page).message.fill('Is my message kept?');
    await chat(tab.page).message.press('Enter');

    await signInForm(tab.page).heading.waitFor();
    await tab.page.getByText('This session was ended, from this or another device. Please sign in again.').waitFor();
    expect(await signInForm(tab.page).email.isVisible()).toBe(true);

    // The message the server never got is still there once they are back.
    await signInForm(tab.page).email.fill(email);
    await signInForm(tab.page).password.fill(password);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await chat(tab.page).logout.waitFor();
    expect(await chat(tab.page).message.inputValue()).toBe('Is my message kept?');
  });

  it('offers someone else who signs in on that page neither the draft nor the files of the session that ended', async () => {
    const tab = await newTab();
    await signUpThroughPage(tab.page, server.t.url);
    const chooser = tab.page.waitForEvent('filechooser');
    await tab.page.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles([{ name: 'private-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('only mine') }]);
    const chip = tab.page.locator('.attachment-chip', { hasText: 'private-notes.txt' });
    await chip.getByText('Ready').waitFor();
    const [cookie] = await tab.context.cookies();
    await server.t.http().post('/auth/refresh').send({ refreshToken: cookie.value }).expect(200);
    await waitOutAccessToken();
    await chat(tab.page).message.fill('My private draft');
    await chat(tab.page).message.press('Enter');
    await signInForm(tab.page).heading.waitFor();

    const other = await registerUser(server.t);
    await signInForm(tab.page).email.fill(other.user.email);
    await signInForm(tab.page).password.fill(other.password);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await chat(tab.page).logout.waitFor();
    await chatSettled(tab.page);
    expect(await chat(tab.page).message.inputValue()).toBe('');
    expect(await tab.page.getByText('private-notes.txt').count()).toBe(0);
  });

  it('tells a person whose account was disabled', async () => {
    const tab = await newTab();
    const { email } = await signUpThroughPage(tab.page, server.t.url);
    const admin = await registerAdmin(server.t);
    const [user] = await server.t.query<{ id: string }>('SELECT id FROM users WHERE email = ?', [email]);
    await server.t
      .http()
      .patch(`/users/${user.id}`)
      .set(bearer(admin.accessToken))
      .send({ disabled: true })
      .expect(200);

    await chat(tab.page).newChat.click();
    await chat(tab.page).message.fill('Hello?');
    await chat(tab.page).message.press('Enter');

    await tab.page.getByText('This account has been disabled.').waitFor();
    expect(await signInForm(tab.page).heading.isVisible()).toBe(true);
  });
});
