// Functions passed to page.evaluate run in the browser, with its DOM.
/// <reference lib="dom" />
import { statSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import {
  chat,
  ChatServer,
  eventually,
  foreignRequests,
  openPage,
  screenshotPath,
  sendAndWait,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

/**
 * One person's visit, step by step, in one browser tab: each test starts where the previous one left off,
 * as the issue describes the flow (sign up, chat, stop, reload, search, rename, archive, delete, log out).
 */
describe('The chat page in Chromium', () => {
  let server: ChatServer;
  let browser: Browser;
  let tab: TestPage;
  let email: string;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser());
    tab = await openPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const page = () => tab.page;
  const ui = () => chat(tab.page);
  const userId = async () =>
    (await server.t.query<{ id: string }>('SELECT id FROM users WHERE email = ?', [email]))[0].id;
  const conversationsInDb = async () =>
    server.t.query<{ id: string; title: string; archived: unknown; model: string }>(
      'SELECT id, title, archived, model FROM conversations WHERE owner_id = ? ORDER BY created_at',
      [await userId()],
    );

  it('shows the sign-in form to a new visitor, and signs a new person up', async () => {
    await page().goto(`${server.t.url}/`);
    await signInForm(page()).heading.waitFor();
    expect(await signInForm(page()).email.isVisible()).toBe(true);

    ({ email } = await signUpThroughPage(page(), server.t.url));

    expect(await page().locator('#user-name').textContent()).toBe(email.split('@')[0]);
    expect(await server.t.query('SELECT id FROM users WHERE email = ?', [email])).toHaveLength(1);
    // The refresh token is in a cookie that the page's scripts cannot read, sent only to /auth.
    const cookies = await tab.context.cookies();
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'colloquy_refresh', httpOnly: true, sameSite: 'Strict', path: '/auth' }),
    ]);
    expect(await page().evaluate(() => document.cookie)).toBe('');
  });

  it('lists the models from /ai/models in the model picker', async () => {
    await eventually(
      async () => (await ui().model.isEnabled()) && (await ui().model.locator('option').count()) > 1,
      'models load',
    );
    const options = await ui().model.locator('option').allTextContents();
    expect(options).toEqual(['Default model', 'openai/gpt-4o-mini', 'openai/gpt-4o', 'echo/echo']);
  });

  it('sends a message and streams the answer in as it arrives', async () => {
    server.upstream.reply({ chunks: ['Tram 28', ' climbs', ' to the', ' castle.'], delayMs: 400 });
    await ui().model.selectOption('openai/gpt-4o-mini');
    await ui().message.fill('How do I get to the castle?');
    await ui().send.click();

    // Part of the answer is on the page while the rest is still on its way.
    await page().waitForFunction(() => {
      const answer = document.querySelector('article[aria-label="Assistant"]');
      const text = answer?.textContent ?? '';
      return answer?.getAttribute('aria-busy') === 'true' && text.includes('Tram 28') && !text.includes('castle.');
    });
    expect(await ui().stop.isVisible()).toBe(true);
    expect(await ui().send.isHidden()).toBe(true);

    await page().waitForFunction(() => {
      const answer = document.querySelector('article[aria-label="Assistant"]');
      return (
        answer?.getAttribute('aria-busy') === null && answer.textContent?.includes('Tram 28 climbs to the castle.')
      );
    });
    expect(await ui().lastQuestion.textContent()).toContain('How do I get to the castle?');
    expect(await ui().send.isVisible()).toBe(true);

    const [conversation] = await conversationsInDb();
    expect(conversation).toMatchObject({ model: 'openai/gpt-4o-mini', title: 'How do I get to the castle?' });
    const chatRequest = server.upstream.requests.find((r) => r.path.endsWith('/chat/completions'))!;
    expect(chatRequest.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'How do I get to the castle?' }],
    });
    // The address names the conversation, and the list shows it under the title the server gave it.
    expect(page().url()).toBe(`${server.t.url}/#/c/${conversation.id}`);
    await ui().conversations.getByRole('link', { name: 'How do I get to the castle?' }).waitFor();
  });

  it('sends with Enter and starts a new line with Shift+Enter', async () => {
    await ui().message.click();
    await page().keyboard.type('First line');
    await page().keyboard.press('Shift+Enter');
    await page().keyboard.type('second line');
    expect(await ui().message.inputValue()).toBe('First line\nsecond line');

    await page().keyboard.press('Enter');
    await eventually(
      async () => (await page().getByRole('article', { name: 'Assistant' }).count()) === 2,
      'a second answer',
    );
    await page().waitForFunction(
      () => document.querySelectorAll('article[aria-label="Assistant"]')[1]?.getAttribute('aria-busy') === null,
    );

    expect(await ui().message.inputValue()).toBe('');
    const last = server.upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!;
    expect((last.body as { messages: { content: string }[] }).messages.at(-1)).toEqual({
      role: 'user',
      content: 'First line\nsecond line',
    });
  });

  it('stops a slow answer with the Stop button, and the server keeps what had arrived', async () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i} `);
    server.upstream.reply({ chunks: words, delayMs: 300 });
    await ui().message.fill('Tell me a long story');
    await ui().message.press('Enter');
    await page().waitForFunction(() => {
      const answers = document.querySelectorAll('article[aria-label="Assistant"]');
      return answers[2]?.textContent?.includes('word1 ');
    });

    await ui().stop.click();

    await ui().lastAnswer.getByText('Stopped: this answer is incomplete.').waitFor();
    expect(await ui().send.isVisible()).toBe(true);
    await server.upstream.whenClientCloses(undefined, 10_000);
    const [conversation] = await conversationsInDb();
    let stored: { content: string; status: string }[] = [];
    await eventually(async () => {
      stored = await server.t.query(
        "SELECT content, status FROM messages WHERE conversation_id = ? AND role = 'assistant' ORDER BY created_at",
        [conversation.id],
      );
      return stored.length === 3;
    }, 'the stopped answer is stored');
    expect(stored[2].status).toBe('incomplete');
    expect(stored[2].content).toMatch(/^word0 word1 /);
    expect(stored[2].content).not.toContain('word29');
  });

  it('keeps the session and the conversation across a reload', async () => {
    const [conversation] = await conversationsInDb();
    await page().reload();

    await ui().logout.waitFor();
    expect(await signInForm(page()).heading.isVisible()).toBe(false);
    await ui().conversations.getByRole('link', { name: 'How do I get to the castle?' }).waitFor();
    expect(page().url()).toContain(conversation.id);
    await page().getByRole('heading', { name: 'How do I get to the castle?' }).waitFor();
    await ui().lastAnswer.getByText('Stopped: this answer is incomplete.').waitFor();
    expect(await page().getByRole('article', { name: 'You' }).count()).toBe(3);
    expect(await ui().model.inputValue()).toBe('openai/gpt-4o-mini');
  });

  it('starts a new chat with the echo model and a system prompt', async () => {
    await ui().newChat.click();
    await page().getByRole('heading', { name: 'New chat' }).waitFor();
    await ui().model.selectOption('echo/echo');
    await page().getByText('System prompt', { exact: true }).click();
    await page()
      .getByRole('textbox', { name: 'Instructions the model gets before this conversation' })
      .fill('Be brief.');

    const answer = await sendAndWait(page(), 'Penguins live in the southern hemisphere');

    expect(await answer.textContent()).toContain('Penguins live in the southern hemisphere');
    const rows = await conversationsInDb();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ model: 'echo/echo', title: 'Penguins live in the southern hemisphere' });
    const [stored] = await server.t.query<{ system_prompt: string }>(
      'SELECT system_prompt FROM conversations WHERE id = ?',
      [rows[1].id],
    );
    expect(stored.system_prompt).toBe('Be brief.');
    // Newest first.
    await eventually(
      async () =>
        (await ui().conversations.getByRole('link').allTextContents()).join('|') ===
        'Penguins live in the southern hemisphere|How do I get to the castle?',
      'the new conversation tops the list',
    );
  });

  it('searches conversations by title and message text with the search box', async () => {
    const links = () => ui().conversations.getByRole('link');

    await ui().search.fill('tram 28');
    await eventually(
      async () => (await links().allTextContents()).join('|') === 'How do I get to the castle?',
      'the search by message text',
    );

    await ui().search.fill('penguins');
    await eventually(
      async () => (await links().allTextContents()).join('|') === 'Penguins live in the southern hemisphere',
      'the search by title',
    );

    await ui().search.fill('no such thing anywhere');
    await ui().conversations.getByText('No conversations match “no such thing anywhere”.').waitFor();
    expect(await links().count()).toBe(0);

    await ui().search.fill('');
    await eventually(async () => (await links().count()) === 2, 'the full list is back');
  });

  it('renames the open conversation', async () => {
    await ui().conversations.getByRole('link', { name: 'Penguins live in the southern hemisphere' }).click();
    await page().getByRole('heading', { name: 'Penguins live in the southern hemisphere' }).waitFor();

    await page().getByRole('button', { name: 'Rename' }).click();
    const dialog = page().getByRole('dialog', { name: 'Rename conversation' });
    await dialog.getByRole('textbox', { name: 'Title' }).fill('Penguin notes');
    await dialog.getByRole('button', { name: 'Save' }).click();

    await page().getByRole('heading', { name: 'Penguin notes' }).waitFor();
    await ui().conversations.getByRole('link', { name: 'Penguin notes' }).waitFor();
    expect((await conversationsInDb())[1].title).toBe('Penguin notes');
  });

  it('says a title of spaces only cannot be used, and keeps the dialog open', async () => {
    await page().getByRole('button', { name: 'Rename' }).click();
    const dialog = page().getByRole('dialog', { name: 'Rename conversation' });
    const title = dialog.getByRole('textbox', { name: 'Title' });
    await title.fill('   ');
    await dialog.getByRole('button', { name: 'Save' }).click();

    await dialog.getByRole('alert').getByText('The title cannot be empty.').waitFor();
    expect(await dialog.isVisible()).toBe(true);
    expect(await title.getAttribute('aria-invalid')).toBe('true');
    await title.fill('Penguin');
    expect(await dialog.getByText('The title cannot be empty.').count()).toBe(0);

    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page().getByRole('heading', { name: 'Penguin notes' }).waitFor();
    expect((await conversationsInDb())[1].title).toBe('Penguin notes');
  });

  it('archives it: it leaves the list and shows among the archived', async () => {
    await page().getByRole('button', { name: 'Archive' }).click();

    await page().getByRole('button', { name: 'Unarchive' }).waitFor();
    await eventually(
      async () => (await ui().conversations.getByRole('link', { name: 'Penguin notes' }).count()) === 0,
      'it leaves the list',
    );
    expect(Boolean((await conversationsInDb())[1].archived)).toBe(true);

    await page().getByRole('checkbox', { name: 'Show archived' }).check();
    await ui().conversations.getByRole('link', { name: 'Penguin notes' }).waitFor();
    expect(await ui().conversations.getByRole('link').count()).toBe(1);
  });

  it('deletes it after asking, and not when the question is cancelled', async () => {
    await page().getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page().getByRole('dialog', { name: 'Delete conversation?' });
    await dialog.getByText('“Penguin notes” and all its messages will be deleted.', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await conversationsInDb()).toHaveLength(2);

    await page().getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();

    await page().getByRole('heading', { name: 'New chat' }).waitFor();
    await ui().conversations.getByText('No archived conversations.').waitFor();
    const rows = await conversationsInDb();
    expect(rows.map((row) => row.title)).toEqual(['How do I get to the castle?']);
    await page().getByRole('checkbox', { name: 'Show archived' }).uncheck();
    await ui().conversations.getByRole('link', { name: 'How do I get to the castle?' }).waitFor();
  });

  it('renders HTML in a message as text, and a javascript: link inert', async () => {
    const dialogs: string[] = [];
    page().on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await ui().newChat.click();
    await ui().model.selectOption('echo/echo');

    const attack =
      '<img src=x onerror="window.__pwned = 1; alert(1)"> and <script>window.__pwned = 2</script> ' +
      '[click me](javascript:window.__pwned=3;alert(3)) <a href="javascript:alert(4)">raw link</a>';
    const answer = await sendAndWait(page(), attack);

    const inMessages = await ui().messages.evaluate((box) => ({
      images: box.querySelectorAll('img').length,
      scripts: box.querySelectorAll('script').length,
      handlers: [...box.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on')))
        .length,
      javascriptUrls: [...box.querySelectorAll('[href], [src]')].filter((el) =>
        /^\s*javascript:/i.test(el.getAttribute('href') ?? el.getAttribute('src') ?? ''),
      ).length,
    }));
    expect(inMessages).toEqual({ images: 0, scripts: 0, handlers: 0, javascriptUrls: 0 });
    // The markup is shown as the text it is, in the question and in the echoed answer.
    expect(await answer.textContent()).toContain('<img src=x onerror="window.__pwned = 1; alert(1)">');
    expect(await ui().lastQuestion.textContent()).toContain('<script>window.__pwned = 2</script>');

    await answer.getByText('click me').click();
    await page().waitForTimeout(300);
    expect(await page().evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(tab.context.pages()).toHaveLength(1);
  });

  it('renders Markdown and code blocks', async () => {
    const answer = await sendAndWait(
      page(),
      'Some **bold** text and code:\n\n```js\nconst answer = 42;\n```\n\n- one\n- two',
    );

    expect(await answer.locator('strong').textContent()).toBe('bold');
    expect(await answer.locator('pre code').textContent()).toBe('const answer = 42;\n');
    expect(await answer.locator('li').allTextContents()).toEqual(['one', 'two']);
  });

  it('saves a screenshot of the main screen for people to look at', async () => {
    await ui().conversations.getByRole('link', { name: 'How do I get to the castle?' }).click();
    await ui().lastAnswer.getByText('Stopped: this answer is incomplete.').waitFor();
    const path = screenshotPath('chat-desktop.png');

    await page().screenshot({ path });

    expect(statSync(path).size).toBeGreaterThan(10_000);
  });

  it('logs out: back to the sign-in form, the cookie gone, and a reload stays signed out', async () => {
    await ui().logout.click();

    await signInForm(page()).heading.waitFor();
    await page().getByText('You have logged out.').waitFor();
    expect(await tab.context.cookies()).toEqual([]);
    const live = await server.t.query(
      'SELECT id FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL AND rotated_at IS NULL',
      [await userId()],
    );
    expect(live).toEqual([]);

    await page().reload();
    await signInForm(page()).heading.waitFor();
    expect(await ui().logout.isVisible()).toBe(false);
  });

  it('signs back in with the same account and finds the conversation', async () => {
    await signInForm(page()).email.fill(email);
    await signInForm(page()).password.fill('correct-horse-1');
    await page().getByRole('button', { name: 'Sign in' }).click();

    await ui().conversations.getByRole('link', { name: 'How do I get to the castle?' }).waitFor();
  });

  it('loaded nothing from any other origin, and no script error happened', () => {
    expect(tab.requests.length).toBeGreaterThan(10);
    expect(foreignRequests(tab.requests, server.t.url)).toEqual([]);
    expect(tab.pageErrors).toEqual([]);
  });
});
