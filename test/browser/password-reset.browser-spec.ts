import type { Browser } from 'playwright-core';
import { registerUser } from '../support/auth';
import { chat, ChatServer, openPage, signInForm, startChatServerAndBrowser, TestPage } from '../support/browser';
import { resetTokenIn, TestSmtpServer } from '../support/smtp';

describe('Password reset in the chat page', () => {
  let smtp: TestSmtpServer;
  let server: ChatServer;
  let browser: Browser;
  const tabs: TestPage[] = [];

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    ({ server, browser } = await startChatServerAndBrowser({ SMTP_URL: smtp.url, MAIL_RETRY_MIN_MS: '100' }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.stop();
  });
  afterEach(() => {
    for (const tab of tabs) expect(tab.pageErrors).toEqual([]);
  });

  async function newTab(): Promise<TestPage> {
    const tab = await openPage(browser);
    tabs.push(tab);
    return tab;
  }

  it('asks for a link from the sign-in form, and the link opens a form that sets the new password', async () => {
    const user = await registerUser(server.t);
    const tab = await newTab();
    const { page } = tab;
    await page.goto(`${server.t.url}/`);
    await signInForm(page).email.fill(user.user.email);

    await page.getByRole('button', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Email' }).inputValue()).toBe(user.user.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('If an account exists for this email, a link is on its way.').waitFor();

    const token = resetTokenIn(await smtp.waitForMailTo(user.user.email));
    await page.goto(`${server.t.url}/#reset=${token}`);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // The token leaves the address bar at once.
    expect(page.url()).toBe(`${server.t.url}/`);
    await page.getByRole('textbox', { name: 'New password' }).fill('set in the browser');
    await page.getByRole('button', { name: 'Set the password' }).click();

    await page.getByText('Your new password is set').waitFor();
    await signInForm(page).email.fill(user.user.email);
    await signInForm(page).password.fill('set in the browser');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await chat(page).logout.waitFor();
  });

  it('says when a link no longer works', async () => {
    const tab = await newTab();
    const { page } = tab;
    await page.goto(`${server.t.url}/#reset=${'x'.repeat(43)}`);
    await page.getByRole('textbox', { name: 'New password' }).fill('never going to be set');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('This link does not work any more').waitFor();
    await page.getByRole('button', { name: 'Back to sign in' }).click();
    await signInForm(page).heading.waitFor();
  });
});
