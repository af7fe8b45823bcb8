// Functions passed to page.evaluate run in the browser, with its DOM.
/// <reference lib="dom" />
import { statSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import {
  accessibilityViolations,
  chat,
  ChatServer,
  openPage,
  screenshotPath,
  sendAndWait,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

describe('Accessibility and small screens', () => {
  let server: ChatServer;
  let browser: Browser;
  let tab: TestPage;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    await tab?.context.close();
  });

  const ui = () => chat(tab.page);

  it('the sign-in and sign-up forms pass the WCAG 2.1 AA checks of axe-core', async () => {
    tab = await openPage(browser);
    await tab.page.goto(`${server.t.url}/`);
    await signInForm(tab.page).heading.waitFor();
    expect(await accessibilityViolations(tab.page)).toEqual([]);

    await tab.page.getByRole('button', { name: 'Create an account' }).click();
    await tab.page.getByRole('textbox', { name: 'Display name (optional)' }).waitFor();
    expect(await accessibilityViolations(tab.page)).toEqual([]);
  });

  it('the chat screen passes them too, with messages of every kind and with a dialog open', async () => {
    tab = await openPage(browser);
    await signUpThroughPage(tab.page, server.t.url);
    await sendAndWait(tab.page, 'Some **Markdown**, `code` and a [link](https://example.com/)\n\n```\nblock\n```');
    await ui().model.selectOption('openai/gpt-4o-mini');
    server.upstream.streamError({ chunks: ['Partly'], afterChunks: 1, type: 'server_error', message: 'failed' });
    await sendAndWait(tab.page, 'This one fails');
    await tab.page.getByText('System prompt', { exact: true }).click();

    expect(await accessibilityViolations(tab.page)).toEqual([]);

    await tab.page.getByRole('button', { name: 'Delete', exact: true }).click();
    await tab.page.getByRole('dialog', { name: 'Delete conversation?' }).waitFor();
    expect(await accessibilityViolations(tab.page)).toEqual([]);
    await tab.page.keyboard.press('Escape');
    await tab.page.getByRole('dialog').waitFor({ state: 'hidden' });
  });

  it('the buttons under messages pass them too: versions, the model menu, the editor, the delete question', async () => {
    tab = await openPage(browser);
    await signUpThroughPage(tab.page, server.t.url);
    await sendAndWait(tab.page, 'Where does the Tagus rise?');
    const question = ui().lastQuestion;
    await question.getByRole('button', { name: 'Edit question' }).click();
    await tab.page.getByRole('textbox', { name: 'Edit your question' }).fill('Where does the Douro rise?');
    await tab.page.keyboard.press('Enter');
    await question.getByText('2 / 2', { exact: true }).waitFor();
    await ui().lastAnswer.getByRole('button', { name: 'Copy answer' }).waitFor();

    expect(await accessibilityViolations(tab.page)).toEqual([]);

    // Every control is reached with the keyboard, and the focus comes back where it was.
    await ui().lastAnswer.getByRole('button', { name: 'Regenerate answer with another model' }).focus();
    await tab.page.keyboard.press('Enter');
    const firstModel = tab.page.getByRole('button', { name: 'Regenerate answer with openai/gpt-4o-mini' });
    expect(await firstModel.evaluate((button) => button === document.activeElement)).toBe(true);
    expect(await accessibilityViolations(tab.page)).toEqual([]);
    await tab.page.keyboard.press('Escape');
    expect(await tab.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Regenerate answer with another model',
    );

    await question.getByRole('button', { name: 'Edit question' }).focus();
    await tab.page.keyboard.press('Enter');
    const editor = tab.page.getByRole('textbox', { name: 'Edit your question' });
    expect(await editor.evaluate((field) => field === document.activeElement)).toBe(true);
    expect(await accessibilityViolations(tab.page)).toEqual([]);
    await tab.page.keyboard.press('Escape');
    expect(await question.evaluate((article) => article === document.activeElement)).toBe(true);

    await ui().lastAnswer.getByRole('button', { name: 'Delete answer and what follows' }).click();
    await tab.page.getByRole('dialog', { name: 'Delete this answer?' }).waitFor();
    expect(await accessibilityViolations(tab.page)).toEqual([]);
    await tab.page.keyboard.press('Escape');
    await tab.page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await tab.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Delete answer and what follows',
    );
  });

  it('shows where the keyboard focus is', async () => {
    tab = await openPage(browser);
    await signUpThroughPage(tab.page, server.t.url);
    await ui().message.focus();

    // Shift+Tab from the message box walks back to the model picker's neighbours; every stop is outlined.
    for (let step = 0; step < 4; step += 1) {
      await tab.page.keyboard.press('Shift+Tab');
      const outline = await tab.page.evaluate(() => {
        const style = getComputedStyle(document.activeElement!);
        return { tag: document.activeElement!.tagName, style: style.outlineStyle, width: style.outlineWidth };
      });
      expect(outline).toEqual({ tag: expect.any(String), style: 'solid', width: '3px' });
    }
  });

  it('can be used with the keyboard alone: sign up, send, and open a conversation', async () => {
    tab = await openPage(browser);
    await tab.page.goto(`${server.t.url}/`);
    await signInForm(tab.page).heading.waitFor();
    // The email field has the focus when the page opens.
    expect(await tab.page.evaluate(() => document.activeElement?.id)).toBe('auth-email');
    await tab.page.keyboard.press('Tab');
    await tab.page.keyboard.press('Tab');
    await tab.page.keyboard.press('Tab');
    expect(await tab.page.evaluate(() => document.activeElement?.textContent)).toBe('Forgot password?');
    await tab.page.keyboard.press('Tab');
    expect(await tab.page.evaluate(() => document.activeElement?.textContent)).toBe('Create an account');
    await tab.page.keyboard.press('Enter');
    await tab.page.keyboard.type(`keys-${Date.now()}@example.com`);
    await tab.page.keyboard.press('Tab');
    await tab.page.keyboard.type('correct-horse-1');
    await tab.page.keyboard.press('Enter');
    await ui().logout.waitFor();

    expect(await tab.page.evaluate(() => document.activeElement?.id)).toBe('message-input');
    await tab.page.keyboard.type('Typed, not clicked');
    await tab.page.keyboard.press('Enter');
    await tab.page.getByRole('article', { name: 'Assistant' }).getByText('Typed, not clicked').waitFor();
  });

  it('works on a phone-sized screen: the list opens from the top bar, nothing scrolls sideways', async () => {
    tab = await openPage(browser, { viewport: { width: 390, height: 844 } });
    await signUpThroughPage(tab.page, server.t.url);
    const toggle = tab.page.getByRole('button', { name: 'Conversations' });
    const newChat = ui().newChat;

    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await newChat.isVisible()).toBe(false);
    await sendAndWait(tab.page, 'Hello from a phone with a rather long message that has to wrap on a narrow screen');
    const overflow = await tab.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const control of [ui().message, ui().send, ui().model, toggle, ui().logout]) {
      const box = (await control.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    await tab.page.screenshot({ path: screenshotPath('chat-phone.png') });
    expect(statSync(screenshotPath('chat-phone.png')).size).toBeGreaterThan(5_000);

    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await newChat.waitFor();
    await newChat.click();
    await tab.page.getByRole('heading', { name: 'New chat' }).waitFor();
    await newChat.waitFor({ state: 'hidden' });

    await toggle.click();
    await ui()
      .conversations.getByRole('link', { name: /^Hello from a phone/ })
      .click();
    await newChat.waitFor({ state: 'hidden' });
    await ui()
      .lastQuestion.getByText(/^Hello from a phone/)
      .waitFor();

    await toggle.click();
    await tab.page.keyboard.press('Escape');
    await newChat.waitFor({ state: 'hidden' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  });
});
