// Functions passed to page.evaluate run in the browser, with its DOM.
/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import {
  chat,
  ChatServer,
  eventually,
  openPage,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

/**
 * Answers run on the server whatever happens to the page: one person's conversation, step by step, in a tab
 * that reloads and loses its network, and a second tab that joins. The fake upstream holds each answer
 * half-way until the test lets it go on, so every step happens mid-answer by construction, not by timing.
 */
describe('Answers that outlive the page, in Chromium', () => {
  let server: ChatServer;
  let browser: Browser;
  let tab: TestPage;
  let second: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
    tab = await openPage(browser);
    await signUpThroughPage(tab.page, server.t.url);
    await chat(tab.page).model.selectOption('openai/gpt-4o-mini');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const page = () => tab.page;
  const ui = (p = page()) => chat(p);
  const conversationId = () => /#\/c\/([0-9a-f-]{36})$/.exec(page().url())![1];
  const storedAnswers = () =>
    server.t.query<{ content: string; status: string }>(
      "SELECT content, status FROM messages WHERE conversation_id = ? AND role = 'assistant' ORDER BY created_at",
      [conversationId()],
    );

  /**
   * Waits until the last answer on show has exactly `text` and is still streaming in, or is shown as stored
   * (with its buttons: until then a question sent would go under the answer before it).
   */
  async function untilLastAnswer(p: Page, text: string, { streaming }: { streaming: boolean }) {
    await p.waitForFunction(
      ({ text, streaming }) => {
        const answer = [...document.querySelectorAll('#messages > article[aria-label="Assistant"]')].at(-1);
        return (
          answer?.querySelector('.message-body')?.textContent?.trim() === text &&
          (streaming
            ? answer.getAttribute('aria-busy') === 'true'
            : !answer.hasAttribute('aria-busy') && answer.querySelector('.message-tools') !== null)
        );
      },
      { text, streaming },
    );
  }

  async function ask(question: string) {
    await ui().message.fill(question);
    await ui().message.press('Enter');
  }

  it('shows the text so far at once after a reload mid-answer, then the rest, each part once', async () => {
    const release = server.upstream.hold({ chunks: ['Tram 28 ', 'climbs ', 'to the ', 'castle.'], afterChunks: 2 });
    await ask('How do I get to the castle?');
    await untilLastAnswer(page(), 'Tram 28 climbs', { streaming: true });

    await page().reload();

    await untilLastAnswer(page(), 'Tram 28 climbs', { streaming: true });
    expect(await ui().stop.isVisible()).toBe(true);
    expect(await ui().send.isHidden()).toBe(true);
    release();
    await untilLastAnswer(page(), 'Tram 28 climbs to the castle.', { streaming: false });
    expect(await page().getByRole('article', { name: 'Assistant' }).count()).toBe(1);
    expect(await ui().send.isVisible()).toBe(true);
    expect(await storedAnswers()).toEqual([{ content: 'Tram 28 climbs to the castle.', status: 'complete' }]);
  });

  it('shows the answer arriving in a second tab opened on the conversation meanwhile', async () => {
    const release = server.upstream.hold({ chunks: ['Penguins ', 'huddle ', 'to keep ', 'warm.'], afterChunks: 1 });
    await ask('Why do penguins huddle?');
    await untilLastAnswer(page(), 'Penguins', { streaming: true });

    second = await tab.context.newPage();
    second.on('pageerror', (error) => void pageErrors.push(error.message));
    await second.goto(page().url());

    await untilLastAnswer(second, 'Penguins', { streaming: true });
    expect(await ui(second).stop.isVisible()).toBe(true);
    release();
    for (const p of [page(), second]) {
      await untilLastAnswer(p, 'Penguins huddle to keep warm.', { streaming: false });
      expect(await ui(p).send.isVisible()).toBe(true);
    }
    expect(await second.getByRole('article', { name: 'Assistant' }).count()).toBe(2);
  });

  it('catches up in a tab that comes back to the front while an answer started elsewhere is being written', async () => {
    const release = server.upstream.hold({ chunks: ['Seals ', 'sleep ', 'in the ', 'water.'], afterChunks: 2 });
    await ask('Where do seals sleep?');
    await untilLastAnswer(page(), 'Seals sleep', { streaming: true });
    expect(await second.getByRole('article', { name: 'Assistant' }).count()).toBe(2);

    // What the browser tells a tab that is shown again (headless Chromium shows every tab all along).
    await second.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));

    await untilLastAnswer(second, 'Seals sleep', { streaming: true });
    release();
    for (const p of [second, page()]) await untilLastAnswer(p, 'Seals sleep in the water.', { streaming: false });
    expect(await second.getByRole('article', { name: 'Assistant' }).count()).toBe(3);
  });

  it('stops the answer from the second tab: both tabs show it stopped, and it is stored incomplete', async () => {
    server.upstream.hang({ chunks: ['Three ', 'short ', 'words ', 'then ', 'more'], afterChunks: 3 });
    await ask('Count slowly');
    await untilLastAnswer(page(), 'Three short words', { streaming: true });
    await second.reload();
    await untilLastAnswer(second, 'Three short words', { streaming: true });

    await ui(second).stop.click();

    for (const p of [second, page()]) {
      await ui(p).lastAnswer.getByText('Stopped: this answer is incomplete.').waitFor();
      expect((await ui(p).lastAnswer.locator('.message-body').textContent())?.trim()).toBe('Three short words');
      await ui(p).send.waitFor();
      expect(await ui(p).stop.isHidden()).toBe(true);
    }
    const modelCall = server.upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1);
    await server.upstream.whenClientCloses(modelCall, 10_000);
    expect((await storedAnswers()).at(-1)).toEqual({ content: 'Three short words ', status: 'incomplete' });
    await second.close();
  });

  it('reconnects by itself after the network drops, from the last event it saw: no gap, no repetition', async () => {
    const resumedAfter: string[] = [];
    page().on('request', (request) => {
      if (request.url().endsWith('/events')) resumedAfter.push(request.headers()['last-event-id']);
    });
    const release = server.upstream.hold({
      chunks: ['alpha ', 'beta ', 'gamma ', 'delta ', 'epsilon.'],
      afterChunks: 2,
    });
    await ask('Say five Greek letters');
    await untilLastAnswer(page(), 'alpha beta', { streaming: true });

    // Going offline fails the page's new requests but leaves an open stream alone, in Chromium; the drop itself
    // happens at the server's end, as when a phone changes networks.
    await tab.context.setOffline(true);
    (server.t.app.getHttpServer() as Server).closeAllConnections();
    await ui().lastAnswer.getByText('The connection was lost. Reconnecting…').waitFor();
    // The rest of the answer comes while the page cannot hear it.
    release();
    await eventually(async () => (await storedAnswers()).at(-1)?.status === 'complete', 'the answer ends');
    await tab.context.setOffline(false);

    await untilLastAnswer(page(), 'alpha beta gamma delta epsilon.', { streaming: false });
    expect(await ui().lastAnswer.getByText('The connection was lost. Reconnecting…').count()).toBe(0);
    expect(await page().getByRole('article', { name: 'Assistant' }).count()).toBe(5);
    // user_message (1), generation (2) and two deltas (3, 4) had arrived before the network went.
    expect(new Set(resumedAfter)).toEqual(new Set(['4']));
  });

  it('follows the answer another tab is getting when a send is refused for it, and keeps the message to send after', async () => {
    await untilLastAnswer(page(), 'alpha beta gamma delta epsilon.', { streaming: false });
    second = await tab.context.newPage();
    second.on('pageerror', (error) => void pageErrors.push(error.message));
    await second.goto(page().url());
    await untilLastAnswer(second, 'alpha beta gamma delta epsilon.', { streaming: false });
    const release = server.upstream.hold({ chunks: ['Otters ', 'hold ', 'hands ', 'asleep.'], afterChunks: 1 });
    await ask('How do otters sleep?');
    await untilLastAnswer(page(), 'Otters', { streaming: true });

    await ui(second).message.fill('And sea lions?');
    await ui(second).message.press('Enter');

    await ui(second).alert.getByText('an answer is being generated in this conversation').waitFor();
    await ui(second).lastQuestion.getByText('How do otters sleep?').waitFor();
    await untilLastAnswer(second, 'Otters', { streaming: true });
    expect(await ui(second).message.inputValue()).toBe('And sea lions?');
    release();
    await untilLastAnswer(second, 'Otters hold hands asleep.', { streaming: false });
    expect(await ui(second).message.inputValue()).toBe('And sea lions?');

    // Sent now, it goes under that answer, not beside the question it was refused for.
    server.upstream.reply({ chunks: ['Sea lions ', 'float.'] });
    await ui(second).send.click();
    await untilLastAnswer(second, 'Sea lions float.', { streaming: false });
    const [question] = await server.t.query<{ parent: string }>(
      "SELECT p.content AS parent FROM messages m JOIN messages p ON p.id = m.parent_id WHERE m.content = 'And sea lions?' AND m.role = 'user'",
    );
    expect(question.parent).toBe('Otters hold hands asleep.');
    expect(await second.getByRole('group', { name: /^Versions of this/ }).count()).toBe(0);
    await second.close();
  });

  it('had no script error in either tab', () => {
    expect(tab.pageErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
