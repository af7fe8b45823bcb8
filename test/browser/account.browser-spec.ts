import type { Browser } from 'playwright-core';
import {
  accessibilityViolations,
  chat,
  ChatServer,
  openPage,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
} from '../support/browser';

describe('The Account dialog in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('changes the display name: shown at the top and kept; a name the server refuses says why', async () => {
    const { page } = await openPage(browser);
    const { email } = await signUpThroughPage(page, server.t.url);
    const userName = page.locator('#user-name');
    const before = email.split('@')[0];
    expect(await userName.textContent()).toBe(before);

    await page.getByRole('button', { name: 'Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Account' });
    const name = dialog.getByRole('textbox', { name: 'Display name' });
    const save = dialog.getByRole('button', { name: 'Save name' });
    await dialog.getByRole('heading', { name: 'Change your password' }).waitFor();
    expect(await name.inputValue()).toBe(before);
    expect(await accessibilityViolations(page)).toEqual([]);

    // Spaces only: said at once, nothing sent.
    await name.fill('   ');
    await save.click();
    await dialog.getByText('Enter a name to be shown as.').waitFor();

    // Nothing a person could see: the server refuses it, and says why beside the field.
    await name.fill('\u200b\u200b');
    await save.click();
    await dialog.getByText('displayName must have a character that can be seen').waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await userName.textContent()).toBe(before);

    await name.fill('  Grace Hopper ');
    await save.click();
    await dialog.getByText('Saved your name.').waitFor();
    expect(await name.inputValue()).toBe('Grace Hopper');
    expect(await name.getAttribute('aria-invalid')).toBeNull();
    expect(await dialog.getByText('displayName must have').count()).toBe(0);
    expect(await userName.textContent()).toBe('Grace Hopper');

    // Opened again, the dialog shows the new name; a reload shows it too (the server keeps it).
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Account' }).click();
    expect(await name.inputValue()).toBe('Grace Hopper');
    await page.reload();
    await chat(page).logout.waitFor();
    expect(await userName.textContent()).toBe('Grace Hopper');
  });

  it('changes the password: a wrong current one is said so, then every device signs in again', async () => {
    const laptop = await openPage(browser);
    const { email, password } = await signUpThroughPage(laptop.page, server.t.url);
    const phone = await openPage(browser);
    await phone.page.goto(`${server.t.url}/`);
    await signInForm(phone.page).email.fill(email);
    await signInForm(phone.page).password.fill(password);
    await phone.page.getByRole('button', { name: 'Sign in' }).click();
    await chat(phone.page).logout.waitFor();

    const page = laptop.page;
    await page.getByRole('button', { name: 'Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Account' });
    // Without providers configured, the section about them stays out of the way.
    await dialog.getByRole('heading', { name: 'Change your password' }).waitFor();
    expect(await dialog.getByRole('heading', { name: 'Sign-in providers' }).isVisible()).toBe(false);
    expect(await accessibilityViolations(page)).toEqual([]);

    const refreshes: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/auth/refresh') refreshes.push(request.url());
    });
    await dialog.getByLabel('Current password').fill('not-my-password');
    await dialog.getByLabel('New password').fill('a brand new password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('The current password is not right.').waitFor();
    // A wrong password is not an expired token: the page does not refresh and send the guess again.
    expect(refreshes).toEqual([]);

    await dialog.getByLabel('Current password').fill(password);
    await dialog.getByLabel('New password').fill('a brand new password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await signInForm(page).heading.waitFor();
    await page.getByText('Your password was changed and every device was signed out.', { exact: false }).waitFor();

    await signInForm(page).email.fill(email);
    await signInForm(page).password.fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('email or password is not correct').waitFor();
    await signInForm(page).password.fill('a brand new password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await chat(page).logout.waitFor();

    // The other device was signed out too.
    await phone.page.reload();
    await signInForm(phone.page).heading.waitFor();
  });

  it('deletes the account after the password and a confirmation; a wrong password keeps the person in', async () => {
    const { page } = await openPage(browser);
    const { email, password } = await signUpThroughPage(page, server.t.url);
    await page.getByRole('button', { name: 'Account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Account' });
    const section = dialog.getByRole('region', { name: 'Delete account' });
    const deleteButton = section.getByRole('button', { name: 'Delete account' });
    const confirm = page.getByRole('dialog', { name: 'Delete your account?' });
    await section.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    const deletes: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'DELETE' && new URL(request.url()).pathname === '/users/me') deletes.push(request.url());
    });

    // Cancelled: nothing is sent.
    await section.getByLabel('Your password, to delete the account').fill(password);
    await deleteButton.click();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect(deletes).toEqual([]);

    // A wrong password: said so, and the person stays signed in with the account there.
    await section.getByLabel('Your password, to delete the account').fill('not-my-password');
    await deleteButton.click();
    await confirm.getByRole('button', { name: 'Delete account' }).click();
    await section.getByText('The password is not right. Your account was not deleted.').waitFor();
    expect(deletes).toHaveLength(1);
    expect(await dialog.isVisible()).toBe(true);
    expect(await chat(page).logout.isVisible()).toBe(true);

    await section.getByLabel('Your password, to delete the account').fill(password);
    await deleteButton.click();
    await confirm.getByRole('button', { name: 'Delete account' }).click();
    await signInForm(page).heading.waitFor();
    await page.getByText('Your account was deleted, with everything in it.').waitFor();
    expect(await dialog.isVisible()).toBe(false);

    // A reload does not sign the page back in, and the account is gone.
    await page.reload();
    await signInForm(page).heading.waitFor();
    await signInForm(page).email.fill(email);
    await signInForm(page).password.fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('email or password is not correct').waitFor();
  });
});
