import type { Browser } from 'playwright-core';
import {
  ChatServer,
  openPage,
  sendAndWait,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

/**
 * The chat page runs under a policy without inline styles or data: URLs, and only Swagger UI at /docs gets them:
 * both must still work in a real browser, which reports what a policy blocks on the console.
 */
describe('Content-Security-Policy in the browser', () => {
  let server: ChatServer;
  let browser: Browser;
  let tab: TestPage;
  let blocked: string[];

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    tab = await openPage(browser);
    blocked = [];
    tab.page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
  });
  afterEach(async () => {
    await tab?.context.close();
  });

  it('Swagger UI at /docs renders every operation and has nothing blocked', async () => {
    await tab.page.goto(`${server.t.url}/docs`);
    await tab.page.getByRole('heading', { name: /Colloquy API/ }).waitFor();
    await tab.page.locator('.opblock').first().waitFor();
    expect(await tab.page.locator('.opblock').count()).toBeGreaterThan(20);
    // Swagger UI's own styles applied: the operation blocks are laid out, not bare text.
    expect(
      await tab.page
        .locator('.opblock')
        .first()
        .evaluate((el) => getComputedStyle(el).borderStyle),
    ).toBe('solid');
    expect(blocked).toEqual([]);
    expect(tab.pageErrors).toEqual([]);
  });

  it('the chat page signs up, answers and renders Markdown with nothing blocked', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    const answer = await sendAndWait(tab.page, 'Some **bold** text and `code`');
    await answer.locator('strong', { hasText: 'bold' }).waitFor();
    expect(blocked).toEqual([]);
    expect(tab.pageErrors).toEqual([]);
  });
});
