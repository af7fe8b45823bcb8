import type { Browser } from 'playwright-core';
import { ChatServer, openPage, signInForm, startChatServerAndBrowser } from '../support/browser';

describe('Sign-up closed in the chat page (ALLOW_REGISTRATION=false)', () => {
  let server: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser({ ALLOW_REGISTRATION: 'false' }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('offers sign-in and "Forgot password?", and no way to create an account', async () => {
    const { page, pageErrors } = await openPage(browser);
    const providers = page.waitForResponse((response) => response.url().endsWith('/auth/providers'));
    await page.goto(`${server.t.url}/`);
    await signInForm(page).heading.waitFor();
    await providers;

    await page.getByRole('button', { name: 'Create an account' }).waitFor({ state: 'hidden' });
    expect(await page.getByText('New here?').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Forgot password?' }).isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
