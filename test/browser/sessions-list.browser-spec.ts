import type { Browser, Page } from 'playwright-core';
import {
  accessibilityViolations,
  chat,
  chatSettled,
  ChatServer,
  openPage,
  screenshotPath,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

/** What the page asked of the API and heard back, in order, as "METHOD path status". */
function recordApiCalls(page: Page, appUrl: string): string[] {
  const calls: string[] = [];
  page.on('response', (response) => {
    const url = response.url();
    if (!url.startsWith(appUrl) || /\.(js|css|svg|html)$|\/$/.test(url)) return;
    calls.push(`${response.request().method()} ${new URL(url).pathname} ${response.status()}`);
  });
  return calls;
}

const sessions = (page: Page) => ({
  open: page.getByRole('button', { name: 'Account' }),
  dialog: page.getByRole('dialog', { name: 'Account' }),
  items: page.getByRole('dialog', { name: 'Account' }).getByRole('list', { name: 'Sessions' }).getByRole('listitem'),
  endOthers: page.getByRole('button', { name: 'End all other sessions' }),
  close: page.getByRole('button', { name: 'Close' }),
});

describe('The sessions list in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;
  const tabs: TestPage[] = [];

  beforeAll(async () => {
    // Access tokens live their default 15 minutes here: a refused request is refused for its session alone.
    ({ server, browser } = await startChatServerAndBrowser());
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

  async function signInThroughPage(page: Page, email: string, password: string) {
    await page.goto(`${server.t.url}/`);
    await signInForm(page).email.fill(email);
    await signInForm(page).password.fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await chat(page).logout.waitFor();
    await chatSettled(page);
  }

  it('lists where the account is signed in and ends another device, which goes to sign-in without a refresh', async () => {
    const laptop = await newTab();
    const { email, password } = await signUpThroughPage(laptop.page, server.t.url);
    const phone = await newTab();
    await signInThroughPage(phone.page, email, password);
    const phoneCalls = recordApiCalls(phone.page, server.t.url);

    await sessions(laptop.page).open.click();
    await sessions(laptop.page).dialog.waitFor();
    await sessions(laptop.page).items.nth(1).waitFor();
    expect(await sessions(laptop.page).items.count()).toBe(2);
    expect(await sessions(laptop.page).items.filter({ hasText: '(this device)' }).count()).toBe(1);
    expect(await accessibilityViolations(laptop.page)).toEqual([]);
    await laptop.page.screenshot({ path: screenshotPath('sessions-dialog.png') });

    // The phone signed in last, so it is listed first; the laptop's own session has no End button.
    const end = sessions(laptop.page).dialog.getByRole('button', { name: /^End session: / });
    expect(await end.count()).toBe(1);
    await end.click();
    await laptop.page.getByText(/^Ended the session of /).waitFor();
    expect(await sessions(laptop.page).items.count()).toBe(1);

    await chat(phone.page).search.fill('anything');
    await signInForm(phone.page).heading.waitFor();
    await phone.page.getByText('This session was ended, from this or another device. Please sign in again.').waitFor();
    expect(phoneCalls).toContain('GET /conversations 401');
    expect(phoneCalls.filter((call) => call.startsWith('POST /auth/refresh'))).toEqual([]);

    // The laptop carries on.
    await sessions(laptop.page).close.click();
    await chat(laptop.page).search.fill('still here');
    await chat(laptop.page).conversations.getByText('No conversations match “still here”.').waitFor();
  });

  it('ends every other session at once and keeps this one', async () => {
    const main = await newTab();
    const { email, password } = await signUpThroughPage(main.page, server.t.url);
    const others = [await newTab(), await newTab()];
    for (const other of others) await signInThroughPage(other.page, email, password);

    await sessions(main.page).open.click();
    await sessions(main.page).items.nth(2).waitFor();
    await sessions(main.page).endOthers.click();
    await main.page.getByText('Ended every other session. You are signed in on this device only.').waitFor();
    expect(await sessions(main.page).items.count()).toBe(1);
    expect(await sessions(main.page).endOthers.isDisabled()).toBe(true);

    for (const other of others) {
      await other.page.reload();
      await signInForm(other.page).heading.waitFor();
    }
    await main.page.reload();
    await chat(main.page).logout.waitFor();
  });
});
