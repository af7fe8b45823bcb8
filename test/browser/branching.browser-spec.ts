// Functions passed to page.evaluate run in the browser, with its DOM.
/// <reference lib="dom" />
import type { Browser, Locator, Page } from 'playwright-core';
import { bearer, registerUser, type Session } from '../support/auth';
import {
  chat,
  chatSettled,
  ChatServer,
  eventually,
  openPage,
  screenshotPath,
  sendAndWait,
  signInForm,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

interface TreeItem {
  id: string;
  parentId: string | null;
  role: 'user' | 'assistant';
  preview: string;
}

/**
 * One person's branching conversation, step by step in one tab (a second one joins for a while): each test
 * starts where the previous one left off. The answers come from the echo model, which repeats the question,
 * and from the fake upstream when another model is asked.
 */
describe('Branching conversations in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;
  let tab: TestPage;
  let person: Session & { password: string };
  let conversationId: string;
  const blockedByPolicy: string[] = [];

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
    person = await registerUser(server.t);
    tab = await openPage(browser);
    await tab.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.t.url });
    tab.page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blockedByPolicy.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const page = () => tab.page;
  const ui = () => chat(tab.page);
  const questions = (p = page()) => p.getByRole('article', { name: 'You' });
  const answers = (p = page()) => p.getByRole('article', { name: 'Assistant' });
  const api = () => ({
    get: (path: string) => server.t.http().get(path).set(bearer(person.accessToken)),
    post: (path: string) => server.t.http().post(path).set(bearer(person.accessToken)),
  });
  const tree = async (id = conversationId) =>
    (await api().get(`/conversations/${id}/tree`).expect(200)).body as {
      currentLeafId: string;
      items: TreeItem[];
    };

  async function signIn(p: Page) {
    await p.goto(`${server.t.url}/`);
    await signInForm(p).email.fill(person.user.email);
    await signInForm(p).password.fill(person.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await chat(p).logout.waitFor();
    await chatSettled(p);
  }

  /** The texts of the messages on show, top to bottom, as "You: …" and "Assistant: …". */
  async function branchOnShow(p = page()): Promise<string[]> {
    return p
      .locator('#messages > article')
      .evaluateAll((articles) =>
        articles.map(
          (article) =>
            `${article.getAttribute('aria-label')}: ${article.querySelector('.message-body')?.textContent?.trim()}`,
        ),
      );
  }

  /** Resolves once no answer is streaming and every message on show has its buttons (the server's copy). */
  async function branchSettled(p = page()) {
    await p.waitForFunction(() => {
      const articles = [...document.querySelectorAll('#messages > article')];
      return (
        document.getElementById('messages')!.getAttribute('aria-busy') !== 'true' &&
        articles.length > 0 &&
        articles.every((article) => !article.hasAttribute('aria-busy') && article.querySelector('.message-tools'))
      );
    });
  }

  const isFocused = (locator: Locator) => locator.evaluate((element) => element === document.activeElement);
  const focusedLabel = () =>
    page().evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);

  it('edits a question: the edited text goes in beside it as a new branch, "2 / 2", and its answer streams in', async () => {
    await signIn(page());
    await ui().model.selectOption('echo/echo');
    await sendAndWait(page(), 'Which river runs through Lisbon?');
    await sendAndWait(page(), 'And through Porto?');
    await branchSettled();
    conversationId = page().url().split('#/c/')[1];

    await questions().first().getByRole('button', { name: 'Edit question' }).click();

    const editor = page().getByRole('textbox', { name: 'Edit your question' });
    expect(await isFocused(editor)).toBe(true);
    expect(await editor.inputValue()).toBe('Which river runs through Lisbon?');
    await editor.fill('Which river runs through Seville?');
    await editor.press('Enter');

    await answers().filter({ hasText: 'Which river runs through Seville?' }).waitFor();
    await branchSettled();
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Seville?',
      'Assistant: Which river runs through Seville?',
    ]);
    const edited = questions().first();
    await edited.getByText('2 / 2', { exact: true }).waitFor();
    await edited.getByRole('button', { name: 'Previous question, 2 of 2' }).waitFor();
    // The focus went with the edited question, and stays on it once the server's copy replaced what streamed.
    expect(await isFocused(edited)).toBe(true);
    const firstQuestions = (await tree()).items.filter((item) => item.parentId === null);
    expect(firstQuestions.map((item) => item.preview)).toEqual([
      'Which river runs through Lisbon?',
      'Which river runs through Seville?',
    ]);
  });

  it('puts the focus back on the question when an edit is cancelled, and changes nothing', async () => {
    const question = questions().first();
    await question.getByRole('button', { name: 'Edit question' }).click();
    await page().getByRole('textbox', { name: 'Edit your question' }).fill('Never sent');
    await page().getByRole('button', { name: 'Cancel' }).click();

    expect(await page().getByRole('textbox', { name: 'Edit your question' }).count()).toBe(0);
    expect(await isFocused(question)).toBe(true);
    expect((await question.locator('.message-body').textContent())?.trim()).toBe('Which river runs through Seville?');
    expect((await tree()).items).toHaveLength(6);
  });

  it('regenerates an answer with another model from the menu, then with the conversation\'s: "2 / 2", "3 / 3"', async () => {
    server.upstream.reply({ chunks: ['The ', 'Guadalquivir', '.'], delayMs: 50 });
    const toggle = answers().first().getByRole('button', { name: 'Regenerate answer with another model' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const choice = page().getByRole('button', { name: 'Regenerate answer with openai/gpt-4o-mini' });
    expect(await isFocused(page().getByRole('button', { name: 'Regenerate answer with openai/gpt-4o' }).first())).toBe(
      true,
    );
    await choice.click();

    await answers().filter({ hasText: 'The Guadalquivir.' }).waitFor();
    await branchSettled();
    const answer = answers().first();
    await answer.getByText('2 / 2', { exact: true }).waitFor();
    expect(await answer.locator('.message-role').textContent()).toContain('openai/gpt-4o-mini');
    expect(await isFocused(answer)).toBe(true);
    const upstreamCall = server.upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!;
    expect(upstreamCall.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Which river runs through Seville?' }],
    });

    await answer.getByRole('button', { name: 'Regenerate answer', exact: true }).click();

    await answers().first().getByText('3 / 3', { exact: true }).waitFor();
    await branchSettled();
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Seville?',
      'Assistant: Which river runs through Seville?',
    ]);
  });

  it("steps between versions with the previous and next buttons, each showing its branch's latest continuation", async () => {
    await questions().first().getByRole('button', { name: 'Previous question, 2 of 2' }).click();

    await questions().first().getByText('1 / 2', { exact: true }).waitFor();
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Lisbon?',
      'Assistant: Which river runs through Lisbon?',
      'You: And through Porto?',
      'Assistant: And through Porto?',
    ]);
    // The focus stays on the button, which now says where it is, so stepping on is one more key press.
    expect(await focusedLabel()).toBe('Previous question, 1 of 2');
    expect(
      await questions()
        .first()
        .getByRole('button', { name: 'Previous question, 1 of 2' })
        .getAttribute('aria-disabled'),
    ).toBe('true');

    await page().keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Next question, 1 of 2');
    await page().keyboard.press('Enter');

    await questions().first().getByText('2 / 2', { exact: true }).waitFor();
    expect(await focusedLabel()).toBe('Next question, 2 of 2');
    // The newest leaf under the edited question: the answer regenerated last.
    await answers().first().getByText('3 / 3', { exact: true }).waitFor();

    await answers().first().getByRole('button', { name: 'Previous answer, 3 of 3' }).click();

    await answers().first().getByText('2 / 3', { exact: true }).waitFor();
    expect(await branchOnShow()).toEqual(['You: Which river runs through Seville?', 'Assistant: The Guadalquivir.']);
    const { currentLeafId, items } = await tree();
    expect(items.find((item) => item.id === currentLeafId)?.preview).toBe('The Guadalquivir.');
  });

  it('shows the chosen branch again after a reload: it is kept on the server', async () => {
    await page().reload();

    await answers().first().getByText('2 / 3', { exact: true }).waitFor();
    expect(await branchOnShow()).toEqual(['You: Which river runs through Seville?', 'Assistant: The Guadalquivir.']);
    await questions().first().getByText('2 / 2', { exact: true }).waitFor();
    await page().screenshot({ path: screenshotPath('chat-branching.png') });
  });

  it('shows a branch chosen in one tab in another after its reload', async () => {
    const other = await openPage(browser);
    try {
      await signIn(other.page);
      await other.page.goto(`${server.t.url}/#/c/${conversationId}`);
      await answers(other.page).filter({ hasText: 'The Guadalquivir.' }).waitFor();

      await questions().first().getByRole('button', { name: 'Previous question, 2 of 2' }).click();
      await questions().first().getByText('1 / 2', { exact: true }).waitFor();
      await other.page.reload();

      await questions(other.page).first().getByText('1 / 2', { exact: true }).waitFor();
      expect(await branchOnShow(other.page)).toEqual([
        'You: Which river runs through Lisbon?',
        'Assistant: Which river runs through Lisbon?',
        'You: And through Porto?',
        'Assistant: And through Porto?',
      ]);
      expect(other.pageErrors).toEqual([]);
    } finally {
      await other.context.close();
    }
  });

  it("copies a message's text to the clipboard and says so", async () => {
    const answer = answers().last();
    await answer.getByRole('button', { name: 'Copy answer' }).click();

    await answer.getByRole('button', { name: 'Copied answer' }).waitFor();
    expect(await answer.getByRole('button', { name: 'Copied answer' }).textContent()).toBe('Copied');
    await page().getByRole('status').filter({ hasText: 'The answer was copied to the clipboard.' }).waitFor();
    expect(await page().evaluate(() => navigator.clipboard.readText())).toBe('And through Porto?');
    await answer.getByRole('button', { name: 'Copy answer' }).waitFor();
  });

  it('deletes a message and what follows it after asking, and nothing when the question is cancelled', async () => {
    const before = (await tree()).items.length;
    const question = questions().filter({ hasText: 'And through Porto?' });
    const deleteButton = question.getByRole('button', { name: 'Delete question and what follows' });
    const dialog = page().getByRole('dialog', { name: 'Delete this question?' });

    await deleteButton.click();
    await dialog.getByText('every message after it, on every branch, will be deleted', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    expect(await isFocused(deleteButton)).toBe(true);
    expect(await branchOnShow()).toHaveLength(4);
    expect((await tree()).items).toHaveLength(before);

    await deleteButton.click();
    await dialog.getByRole('button', { name: 'Delete' }).click();

    await eventually(async () => (await branchOnShow()).length === 2, 'the question and its answer leave the page');
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Lisbon?',
      'Assistant: Which river runs through Lisbon?',
    ]);
    expect(await isFocused(answers().first())).toBe(true);
    const after = await tree();
    expect(after.items).toHaveLength(before - 2);
    expect(after.items.map((item) => item.preview)).not.toContain('And through Porto?');
  });

  it('answers a question left without one, from the button under it', async () => {
    await answers().first().getByRole('button', { name: 'Delete answer and what follows' }).click();
    await page().getByRole('dialog', { name: 'Delete this answer?' }).getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => (await branchOnShow()).length === 1, 'the answer leaves the page');
    // Nothing follows the question now: the focus is on it, and it offers to be answered.
    expect(await isFocused(questions().first())).toBe(true);

    await questions().first().getByRole('button', { name: 'Answer this question' }).click();

    await answers().filter({ hasText: 'Which river runs through Lisbon?' }).waitFor();
    await branchSettled();
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Lisbon?',
      'Assistant: Which river runs through Lisbon?',
    ]);
    expect(await questions().first().getByRole('button', { name: 'Answer this question' }).count()).toBe(0);
  });

  it('forks a new conversation from a message: it appears in the list and opens with the copied path', async () => {
    await answers().first().getByRole('button', { name: 'Fork a new conversation from this answer' }).click();

    await eventually(() => !page().url().includes(conversationId), 'the fork opens');
    const forkId = page().url().split('#/c/')[1];
    await answers().filter({ hasText: 'Which river runs through Lisbon?' }).waitFor();
    await branchSettled();
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Lisbon?',
      'Assistant: Which river runs through Lisbon?',
    ]);
    const links = ui().conversations.getByRole('link');
    await eventually(async () => (await links.count()) === 2, 'both conversations are listed');
    expect(await ui().conversations.locator(`li[data-id="${forkId}"] a`).getAttribute('aria-current')).toBe('page');
    expect((await tree(forkId)).items).toHaveLength(2);
    // The original is as it was.
    expect((await tree()).items.length).toBeGreaterThan(2);
  });

  it('stops a regenerated answer: what had arrived stays, as another version', async () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i} `);
    server.upstream.reply({ chunks: words, delayMs: 200 });
    await answers().first().getByRole('button', { name: 'Regenerate answer with another model' }).click();
    await page().getByRole('button', { name: 'Regenerate answer with openai/gpt-4o-mini' }).click();
    await answers().filter({ hasText: 'word1' }).waitFor();
    // Branch changes wait until the answer has ended: the server would refuse them meanwhile.
    expect(await questions().first().getByRole('button', { name: 'Edit question' }).isDisabled()).toBe(true);

    await ui().stop.click();

    await answers().first().getByText('Stopped: this answer is incomplete.').waitFor();
    await answers().first().getByText('2 / 2', { exact: true }).waitFor();
    await branchSettled();
    expect(await answers().first().textContent()).not.toContain('word29');
    expect(await questions().first().getByRole('button', { name: 'Edit question' }).isEnabled()).toBe(true);
    const stored = (await tree(page().url().split('#/c/')[1])).items.filter((item) => item.role === 'assistant');
    expect(stored.map((item) => item.preview)).toEqual([
      'Which river runs through Lisbon?',
      expect.stringMatching(/^word0 word1 /),
    ]);
  });

  it('shows an answer still streaming where it belongs when its conversation is opened again', async () => {
    const forkId = page().url().split('#/c/')[1];
    await ui().model.selectOption('openai/gpt-4o-mini');
    server.upstream.reply({
      chunks: ['Past ', 'the ', 'old ', 'tower, ', 'the ', 'Torre ', 'de ', 'Belém.'],
      delayMs: 400,
    });
    await ui().message.fill('What does it flow past?');
    await ui().message.press('Enter');
    await answers().filter({ hasText: 'Past' }).waitFor();

    await ui().conversations.locator(`li[data-id="${conversationId}"] a`).click();
    await page().waitForFunction((id) => location.hash.endsWith(id), conversationId);
    await branchSettled();
    await ui().conversations.locator(`li[data-id="${forkId}"] a`).click();

    // Still streaming, once: the server's copy of it so far is not shown beside it.
    await page().locator('#messages > article[aria-busy="true"]').waitFor();
    expect(await page().locator('#messages > article').count()).toBe(4);
    await answers().filter({ hasText: 'Past the old tower, the Torre de Belém.' }).waitFor();
    await branchSettled();
    expect(await branchOnShow()).toEqual([
      'You: Which river runs through Lisbon?',
      expect.stringMatching(/^Assistant: word0 word1 /),
      'You: What does it flow past?',
      'Assistant: Past the old tower, the Torre de Belém.',
    ]);
  });

  it('opens a long conversation at its end and loads older messages as one scrolls up, keeping one’s place', async () => {
    const { body: long } = await api().post('/conversations').send({ title: 'A long one' }).expect(201);
    for (let n = 1; n <= 75; n += 1) {
      await api()
        .post(`/conversations/${long.id}/messages`)
        .send({ content: `Message ${n}` })
        .expect(201);
    }
    const messageRequests = () => tab.requests.filter((url) => url.includes(`/conversations/${long.id}/messages`));

    await page().goto(`${server.t.url}/#/c/${long.id}`);
    await answers().filter({ hasText: 'Message 75' }).waitFor();
    await branchSettled();

    const log = ui().messages;
    const shown = () => page().locator('#messages > article').count();
    expect(await shown()).toBe(50);
    expect(await log.evaluate((box) => box.scrollHeight - box.scrollTop - box.clientHeight)).toBeLessThan(2);
    expect((await branchOnShow())[0]).toBe('You: Message 51');
    expect(messageRequests()).toHaveLength(1);
    expect(new URL(messageRequests()[0]).searchParams.get('order')).toBe('desc');

    // Scrolled to the top, the oldest message on show is where the person reads; it stays put as older ones come.
    const reading = await log.evaluate((box) => {
      box.scrollTo({ top: 0 });
      const first = box.querySelector<HTMLElement>(':scope > article')!;
      return { id: first.dataset.id!, top: first.getBoundingClientRect().top };
    });
    await eventually(async () => (await shown()) === 100, 'a page of older messages');
    const topAfter = await page()
      .locator(`#messages > article[data-id="${reading.id}"]`)
      .evaluate((article) => article.getBoundingClientRect().top);
    expect(Math.abs(topAfter - reading.top)).toBeLessThan(2);
    expect((await branchOnShow())[0]).toBe('You: Message 26');

    await log.evaluate((box) => box.scrollTo({ top: 0 }));
    await eventually(async () => (await shown()) === 150, 'the rest of the messages');
    expect((await branchOnShow())[0]).toBe('You: Message 1');
    expect(await page().getByRole('button', { name: 'Load older messages' }).isHidden()).toBe(true);
  });

  it('loaded nothing the policy blocked, and no script error happened', () => {
    expect(blockedByPolicy).toEqual([]);
    expect(tab.pageErrors).toEqual([]);
  });
});
