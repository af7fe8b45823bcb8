import type { Browser, Page } from 'playwright-core';
import { uniqueEmail } from '../support/auth';
import { chat, ChatServer, openPage, signUpThroughPage, startChatServerAndBrowser, TestPage } from '../support/browser';
import { startOidcProvider, TestOidcProvider } from '../support/oidc-provider';
import { freePort } from '../support/server-process';

let subjects = 0;
const newSubject = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++subjects}`;

/**
 * The whole round trip in Chromium: the page's provider button, the provider's own sign-in and consent pages (a
 * real OpenID provider on loopback), and the page signed in when the browser comes back.
 */
describe('Sign-in with a provider in the chat page', () => {
  let op: TestOidcProvider;
  let server: ChatServer;
  let browser: Browser;
  const tabs: TestPage[] = [];

  beforeAll(async () => {
    op = await startOidcProvider();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    op.registerClient({
      clientId: 'colloquy',
      clientSecret: 'client-secret-0123456789',
      redirectUris: [`${publicUrl}/auth/oidc/keycloak/callback`],
    });
    ({ server, browser } = await startChatServerAndBrowser(
      {
        PUBLIC_URL: publicUrl,
        OIDC_PROVIDERS: 'Keycloak',
        OIDC_KEYCLOAK_ISSUER: op.issuer,
        OIDC_KEYCLOAK_CLIENT_ID: 'colloquy',
        OIDC_KEYCLOAK_CLIENT_SECRET: 'client-secret-0123456789',
        OIDC_KEYCLOAK_LABEL: 'Company sign-in',
      },
      { port },
    ));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await op?.close();
  });
  afterEach(() => {
    for (const tab of tabs.splice(0)) expect(tab.pageErrors).toEqual([]);
  });

  async function newTab(): Promise<Page> {
    const tab = await openPage(browser);
    tabs.push(tab);
    return tab.page;
  }

  /**
   * Runs `go` (a click that leaves for the provider) and goes through the provider's pages as `sub`: its
   * sign-in page unless it has a session for this browser, its consent page unless consent was given, until the
   * browser is back at the app.
   */
  async function throughProvider(page: Page, sub: string, go: () => Promise<void>) {
    const navigation = () => page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
    let navigated = navigation();
    await go();
    for (let step = 0; step < 4; step++) {
      await navigated;
      await page.waitForLoadState();
      if (new URL(page.url()).origin !== op.issuer) return;
      navigated = navigation();
      const login = page.locator('input[name="login"]');
      if (await login.isVisible()) {
        await login.fill(sub);
        await page.locator('input[name="password"]').fill('any password');
        await page.getByRole('button', { name: 'Sign-in' }).click();
      } else {
        await page.getByRole('button', { name: 'Continue' }).click();
      }
    }
    throw new Error(`still at the provider: ${page.url()}`);
  }

  const accountDialog = async (page: Page) => {
    await page.getByRole('button', { name: 'Account' }).click();
    return page.getByRole('dialog', { name: 'Account' });
  };

  it('makes an account through the provider, and lists the provider under Account', async () => {
    const sub = newSubject('ada');
    const email = uniqueEmail('ada');
    op.setAccount(sub, { email, email_verified: true, name: 'Ada Lovelace' });
    const page = await newTab();
    await page.goto(`${server.t.url}/`);

    await throughProvider(page, sub, () => page.getByRole('link', { name: 'Continue with Company sign-in' }).click());

    await chat(page).logout.waitFor();
    expect(await page.locator('#user-name').textContent()).toBe('Ada Lovelace');
    const dialog = await accountDialog(page);
    const linked = dialog.getByRole('list', { name: 'Sign-in providers' }).getByRole('listitem');
    await linked.first().waitFor();
    expect(await linked.allTextContents()).toEqual([expect.stringContaining(`Company sign-in · ${email}`)]);
    // The only way in: unlinking is refused, and the page says what to do instead.
    await dialog.getByRole('button', { name: 'Unlink Company sign-in' }).click();
    await dialog.getByText('Company sign-in is your only way to sign in.').waitFor();
  });

  it('keeps an account made through the provider when asked to delete it: it has no password yet', async () => {
    const sub = newSubject('alan');
    op.setAccount(sub, { email: uniqueEmail('alan'), email_verified: true });
    const page = await newTab();
    await page.goto(`${server.t.url}/`);
    await throughProvider(page, sub, () => page.getByRole('link', { name: 'Continue with Company sign-in' }).click());
    await chat(page).logout.waitFor();

    const section = (await accountDialog(page)).getByRole('region', { name: 'Delete account' });
    await section.getByLabel('Your password, to delete the account').fill('a guess at a password');
    await section.getByRole('button', { name: 'Delete account' }).click();
    await page
      .getByRole('dialog', { name: 'Delete your account?' })
      .getByRole('button', { name: 'Delete account' })
      .click();
    // The server's own words (PASSWORD_NOT_SET): set a password through "Forgot password?" first.
    await section.getByText('this account has no password; set one with "forgot password"', { exact: false }).waitFor();
    expect(await chat(page).logout.isVisible()).toBe(true);
  });

  it('links the provider to a password account from Account, then signs in with it, and unlinks it', async () => {
    const page = await newTab();
    const { email } = await signUpThroughPage(page, server.t.url);
    const sub = newSubject('grace');
    op.setAccount(sub, { email: uniqueEmail('grace-at-work'), email_verified: true });

    const dialog = await accountDialog(page);
    await throughProvider(page, sub, () => dialog.getByRole('link', { name: 'Link Company sign-in' }).click());
    // Back from the provider, the page opens Account again, with the provider linked.
    const again = page.getByRole('dialog', { name: 'Account' });
    await again.getByRole('button', { name: 'Unlink Company sign-in' }).waitFor();

    await again.getByRole('button', { name: 'Close' }).click();
    await chat(page).logout.click();
    await throughProvider(page, sub, () => page.getByRole('link', { name: 'Continue with Company sign-in' }).click());
    await chat(page).logout.waitFor();
    expect(await page.locator('#user-name').textContent()).toBe(email.split('@')[0]);

    const last = await accountDialog(page);
    await last.getByRole('button', { name: 'Unlink Company sign-in' }).click();
    await last.getByText('No provider is linked').waitFor();
  });

  it('says why when the provider does not vouch for the email', async () => {
    const sub = newSubject('nobody');
    op.setAccount(sub, { email: uniqueEmail('unverified'), email_verified: false });
    const page = await newTab();
    await page.goto(`${server.t.url}/`);
    await throughProvider(page, sub, () => page.getByRole('link', { name: 'Continue with Company sign-in' }).click());
    await page.getByText('The provider has not verified your email address, so no account was made.').waitFor();
    expect(await chat(page).logout.isVisible()).toBe(false);
  });
});
