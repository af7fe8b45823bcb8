import type { Browser } from 'playwright-core';
import {
  accessibilityViolations,
  chat,
  chatSettled,
  ChatServer,
  openPage,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
} from '../support/browser';
import { awayFromStepEdge, codeAt } from '../support/mfa';

describe('Two-factor sign-in in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('sets it up with the QR code and key, shows the backup codes once, then asks for a code at sign-in', async () => {
    const { page } = await openPage(browser);
    const { email, password } = await signUpThroughPage(page, server.t.url);

    await page.getByRole('button', { name: 'Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Account' });
    await dialog.getByText('Two-factor sign-in is off.', { exact: false }).waitFor();
    await dialog.getByLabel('Your password, to set it up').fill(password);
    await dialog.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const qr = dialog.getByRole('img', { name: 'QR code of the two-factor sign-in key' });
    await qr.waitFor();
    // Drawn into the page as SVG, as the page's Content-Security-Policy allows no data: images.
    expect(await qr.locator('svg path').count()).toBeGreaterThan(0);
    const secret = (await dialog.locator('#mfa-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await accessibilityViolations(page)).toEqual([]);

    await awayFromStepEdge();
    await dialog.getByLabel('The code the app shows now').fill(codeAt(secret));
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    const backupCodes = dialog.locator('#mfa-backup-list li');
    await backupCodes.nth(9).waitFor();
    expect(await backupCodes.count()).toBe(10);
    await dialog.getByText('Two-factor sign-in is on', { exact: false }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    const backupCode = ((await backupCodes.first().textContent()) ?? '').trim();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await chat(page).logout.click();

    await signInForm(page).heading.waitFor();
    await signInForm(page).email.fill(email);
    await signInForm(page).password.fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByRole('textbox', { name: 'Code' });
    await code.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await code.fill('0000-0000-0000-0000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: /code/i }).waitFor();
    await code.fill(backupCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await chat(page).logout.waitFor();
    await chatSettled(page);
  });
});
