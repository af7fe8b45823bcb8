import type { Browser, Route } from 'playwright-core';
import { registerUser } from '../support/auth';
import {
  chat,
  ChatServer,
  eventually,
  openPage,
  sendAndWait,
  signInForm,
  signUpThroughPage,
  startChatServerAndBrowser,
  TestPage,
} from '../support/browser';

/** Answers an intercepted request as the API answers an error, with its body and any other headers. */
const fulfillError = (
  route: Route,
  statusCode: number,
  error: string,
  message: string,
  code: string,
  headers: Record<string, string> = {},
) =>
  route.fulfill({
    status: statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ statusCode, error, message, code }),
  });

describe('Failures and busy states in the chat page', () => {
  let server: ChatServer;
  let browser: Browser;
  let tab: TestPage;

  beforeAll(async () => {
    ({ server, browser } = await startChatServerAndBrowser({
      LOGIN_MAX_FAILURES: '2',
      MODEL_FALLBACKS: 'openai/gpt-4o=echo/echo',
    }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    tab = await openPage(browser);
  });
  afterEach(async () => {
    await tab?.context.close();
  });

  const ui = () => chat(tab.page);
  /** The conversations of the person with `email`: the server is shared by this file's tests. */
  const conversationsOf = (email: string) =>
    server.t.query<{ id: string }>(
      'SELECT c.id FROM conversations c JOIN users u ON u.id = c.owner_id WHERE u.email = ?',
      [email],
    );
  const storedUserMessages = (content: string) =>
    server.t.query("SELECT id FROM messages WHERE role = 'user' AND content = ?", [content]);

  it('shows the sign-in button busy while the request is on its way', async () => {
    const session = await registerUser(server.t);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await tab.page.route('**/auth/login', async (route: Route) => {
      await held;
      await route.continue();
    });
    await tab.page.goto(`${server.t.url}/`);
    await signInForm(tab.page).email.fill(session.user.email);
    await signInForm(tab.page).password.fill(session.password);

    await tab.page.getByRole('button', { name: 'Sign in' }).click();

    const busy = tab.page.getByRole('button', { name: 'Signing in…' });
    await busy.waitFor();
    expect(await busy.isDisabled()).toBe(true);
    expect(await busy.getAttribute('aria-busy')).toBe('true');
    release();
    await ui().logout.waitFor();
  });

  it('says what was wrong with a sign-in, and how long to wait after too many (429 with Retry-After)', async () => {
    const session = await registerUser(server.t);
    await tab.page.goto(`${server.t.url}/`);
    await signInForm(tab.page).email.fill(session.user.email);
    const error = tab.page.getByRole('alert').filter({ hasText: /./ });

    for (let attempt = 0; attempt < 2; attempt += 1) {
      await signInForm(tab.page).password.fill('not-the-password');
      await tab.page.getByRole('button', { name: 'Sign in' }).click();
      await error.filter({ hasText: 'email or password is not correct' }).waitFor();
      await tab.page.getByRole('button', { name: 'Sign in' }).waitFor();
    }
    await signInForm(tab.page).password.fill(session.password);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();

    // Named for what was too many, and in minutes: the lock-out lasts a quarter of an hour.
    await error.filter({ hasText: /^Too many failed sign-ins\. Please wait 1[45] minutes and try again\.$/ }).waitFor();
    expect(await ui().logout.isVisible()).toBe(false);
  });

  it('keeps a message the network never delivered, and says the server cannot be reached', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await tab.page.route('**/conversations/*/messages', (route: Route) => route.abort('internetdisconnected'));

    await ui().message.fill('Are you there?');
    await ui().message.press('Enter');

    await ui().alert.getByText('Cannot reach the server. Check your connection and try again.').waitFor();
    expect(await ui().message.inputValue()).toBe('Are you there?');
    expect(await tab.page.getByRole('article', { name: 'You' }).count()).toBe(0);
    expect(await storedUserMessages('Are you there?')).toEqual([]);

    // Back online, the same message goes out with one key press.
    await tab.page.unroute('**/conversations/*/messages');
    await ui().message.press('Enter');
    await tab.page.getByRole('article', { name: 'Assistant' }).getByText('Are you there?').waitFor();
    expect(await ui().alert.isHidden()).toBe(true);
    expect(await storedUserMessages('Are you there?')).toHaveLength(1);
  });

  /**
   * The page reads the conversation back (GET /conversations/:id) once an answer has ended: holding those reads
   * keeps the page settling until `release`, after which they go on as `then` says.
   */
  async function holdConversationReads(then: (route: Route) => Promise<void>) {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    await tab.page.route('**/conversations/*', async (route: Route) => {
      if (route.request().method() !== 'GET') return route.continue();
      holding = true;
      await held;
      await then(route);
    });
    await ui().message.fill('Hold on');
    await ui().message.press('Enter');
    await eventually(() => holding, 'the page reading the stored answer');
    return release;
  }

  it('sends a question asked while the last answer is being swapped for its stored copy, once that is done', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    const answers = tab.page.getByRole('article', { name: 'Assistant' });
    const release = await holdConversationReads((route) => route.continue());
    expect(await answers.first().getAttribute('aria-busy')).toBeNull();

    await ui().message.fill('And then?');
    await ui().message.press('Enter');
    expect(await answers.count()).toBe(1);
    expect(await ui().message.inputValue()).toBe('And then?');

    release();
    await answers.nth(1).getByText('And then?').waitFor();
    await tab.page.waitForFunction(() =>
      [...document.querySelectorAll('#messages > article')].every((article) => article.querySelector('.message-tools')),
    );
    expect(await ui().message.inputValue()).toBe('');
    expect(
      await tab.page
        .locator('#messages > article')
        .evaluateAll((articles) =>
          articles.map(
            (a) => `${a.getAttribute('aria-label')}: ${a.querySelector('.message-body')?.textContent?.trim()}`,
          ),
        ),
    ).toEqual(['You: Hold on', 'Assistant: Hold on', 'You: And then?', 'Assistant: And then?']);
    const [question] = await server.t.query<{ parent: string }>(
      "SELECT (SELECT content FROM messages p WHERE p.id = m.parent_id) AS parent FROM messages m WHERE m.content = 'And then?' AND m.role = 'user'",
    );
    expect(question.parent).toBe('Hold on');
  });

  it('keeps Edit, Regenerate and Delete off while an answer is swapped for its stored copy', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await sendAndWait(tab.page, 'Before the held one');
    // The first exchange's buttons: the streamed one gets its own only once it is stored.
    const buttons = [
      tab.page.getByRole('button', { name: 'Edit question' }).first(),
      tab.page.getByRole('button', { name: 'Regenerate answer', exact: true }).first(),
      tab.page.getByRole('button', { name: 'Delete answer and what follows' }).first(),
    ];
    await buttons[0].waitFor();
    const release = await holdConversationReads((route) => route.continue());
    for (const button of buttons) expect(await button.isDisabled()).toBe(true);
    // Clicked anyway (as a script or an assistive tool may), it does nothing.
    await buttons[1].dispatchEvent('click');

    release();
    for (const button of buttons) await eventually(() => button.isEnabled(), 'the buttons are back on');
    expect(await tab.page.getByRole('article', { name: 'Assistant' }).count()).toBe(2);
    const answersToFirst = await server.t.query(
      "SELECT m.id FROM messages m JOIN messages q ON q.id = m.parent_id WHERE q.role = 'user' AND q.content = 'Before the held one'",
    );
    expect(answersToFirst).toHaveLength(1);
  });

  it('keeps a question asked while an answer settles in the box when the stored answer cannot be read', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    const release = await holdConversationReads((route) => route.abort('internetdisconnected'));
    await ui().message.fill('Are you sure?');
    await ui().message.press('Enter');

    release();
    await tab.page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
    // Sent now, it would go under the question before the answer: a branch the person did not ask for.
    expect(await ui().message.inputValue()).toBe('Are you sure?');
    expect(await tab.page.getByRole('article', { name: 'You' }).count()).toBe(1);
    expect(await storedUserMessages('Are you sure?')).toEqual([]);
  });

  it('puts the next question under the last answer even when reading that answer back failed for a while', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await sendAndWait(tab.page, 'First of all');
    const release = await holdConversationReads((route) => route.abort('internetdisconnected'));
    release();
    await tab.page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
    await tab.page.unroute('**/conversations/*');

    await sendAndWait(tab.page, 'Next one');

    const [question] = await server.t.query<{ parent: string; role: string }>(
      "SELECT p.content AS parent, p.role FROM messages m JOIN messages p ON p.id = m.parent_id WHERE m.content = 'Next one' AND m.role = 'user'",
    );
    expect(question).toEqual({ parent: 'Hold on', role: 'assistant' });
    expect(
      await tab.page
        .locator('#messages > article')
        .evaluateAll((articles) =>
          articles.map(
            (a) => `${a.getAttribute('aria-label')}: ${a.querySelector('.message-body')?.textContent?.trim()}`,
          ),
        ),
    ).toEqual([
      'You: First of all',
      'Assistant: First of all',
      'You: Hold on',
      'Assistant: Hold on',
      'You: Next one',
      'Assistant: Next one',
    ]);
  });

  it('sends nothing while a conversation loads or after it failed to, and opens it again when chosen again', async () => {
    const { email } = await signUpThroughPage(tab.page, server.t.url);
    await sendAndWait(tab.page, 'Kept here');
    const conversationId = (await conversationsOf(email))[0].id;
    await ui().newChat.click();
    await tab.page.getByRole('heading', { name: 'New chat' }).waitFor();
    let failing = true;
    await tab.page.route(
      (url) => url.pathname === `/conversations/${conversationId}/messages`,
      (route: Route) => (failing ? route.abort('internetdisconnected') : route.continue()),
    );
    await ui().conversations.getByRole('link', { name: 'Kept here' }).click();
    await tab.page.getByRole('heading', { name: 'Could not open the conversation' }).waitFor();

    await ui().message.fill('Where does this go?');
    await ui().message.press('Enter');
    // Time for a conversation to be made and the message sent, had Enter done that.
    await tab.page.waitForTimeout(500);
    expect(await ui().send.isDisabled()).toBe(true);
    expect(await ui().message.inputValue()).toBe('Where does this go?');
    expect(await conversationsOf(email)).toHaveLength(1);

    // Chosen again from the list, it opens, and the message can go there.
    failing = false;
    await ui().conversations.getByRole('link', { name: 'Kept here' }).click();
    await ui().lastAnswer.getByText('Kept here').waitFor();
    await ui().send.click();
    // Stored once its answer (echo) is on show.
    await ui().lastAnswer.getByText('Where does this go?').waitFor();
    const stored = await server.t.query<{ conversation_id: string }>(
      "SELECT conversation_id FROM messages WHERE content = 'Where does this go?' AND role = 'user'",
    );
    expect(stored).toEqual([{ conversation_id: conversationId }]);
  });

  it('keeps saying that a conversation does not exist when its link is opened', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await tab.page.goto(`${server.t.url}/#/c/00000000-0000-4000-8000-000000000000`);
    await ui().alert.getByText('That conversation does not exist or was deleted.').waitFor();
    await tab.page.waitForTimeout(300);
    expect(await ui().alert.getByText('That conversation does not exist or was deleted.').isVisible()).toBe(true);
    expect(await tab.page.evaluate(() => location.hash)).toBe('');
  });

  it('leaves no empty conversation behind when the first message of a new chat is refused', async () => {
    const { email } = await signUpThroughPage(tab.page, server.t.url);
    await tab.page.route('**/conversations/*/messages', (route: Route) =>
      route.request().method() === 'POST'
        ? fulfillError(route, 429, 'Too Many Requests', 'quota used up', 'QUOTA_EXCEEDED')
        : route.continue(),
    );
    await ui().message.fill('Refused at once');
    await ui().message.press('Enter');
    await ui()
      .alert.getByText(/^You have used up your quota/)
      .waitFor();
    expect(await ui().message.inputValue()).toBe('Refused at once');
    await eventually(async () => (await conversationsOf(email)).length === 0, 'the empty conversation deleted');
    expect(await ui().conversations.getByRole('link').count()).toBe(0);
    expect(await tab.page.evaluate(() => location.hash)).toBe('');
    expect(
      await ui()
        .alert.getByText(/^You have used up your quota/)
        .isVisible(),
    ).toBe(true);
  });

  it('says so when the open conversation was deleted elsewhere, and keeps the message for a new chat', async () => {
    const { email } = await signUpThroughPage(tab.page, server.t.url);
    await sendAndWait(tab.page, 'Soon gone');
    const [{ id }] = await conversationsOf(email);
    await server.t.query('DELETE FROM conversations WHERE id = ?', [id]);

    await ui().message.fill('Still there?');
    await ui().message.press('Enter');

    await ui().alert.getByText('That conversation was deleted, here or on another device.').waitFor();
    expect(await ui().message.inputValue()).toBe('Still there?');
    expect(await ui().conversations.getByRole('link', { name: 'Soon gone' }).count()).toBe(0);
    await tab.page.getByRole('heading', { name: 'New chat' }).waitFor();
    expect(await tab.page.getByRole('article').count()).toBe(0);
  });

  it('starts a new chat on the default model, whatever the conversation open before used', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await ui().model.selectOption('openai/gpt-4o-mini');
    await sendAndWait(tab.page, 'On another model');
    await ui().newChat.click();
    await tab.page.getByRole('heading', { name: 'New chat' }).waitFor();
    expect(await ui().model.inputValue()).toBe('');
  });

  it('tells how long to wait when the API answers 429, and keeps the message', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await tab.page.route('**/conversations/*/messages', (route: Route) =>
      fulfillError(
        route,
        429,
        'Too Many Requests',
        'too many requests: this client may make 600 a minute; see Retry-After',
        'RATE_LIMITED',
        {
          'retry-after': '7',
        },
      ),
    );

    await ui().message.fill('One more question');
    await ui().message.press('Enter');

    await ui().alert.getByText('Too many requests. Please wait 7 seconds and try again.').waitFor();
    expect(await ui().message.inputValue()).toBe('One more question');
  });

  it('reports a server error (5xx) while loading the conversation list', async () => {
    await tab.page.route(
      (url) => url.pathname === '/conversations',
      (route: Route) =>
        route.request().method() === 'GET'
          ? fulfillError(route, 503, 'Service Unavailable', 'database unavailable', 'SERVICE_UNAVAILABLE')
          : route.continue(),
    );

    await signUpThroughPage(tab.page, server.t.url);

    await ui()
      .conversations.getByText(
        'Could not load conversations. The server could not complete the request (error 503: database unavailable). Please try again.',
      )
      .waitFor();
  });

  /** Answers GET /ai/models with a 429 while `failing()` holds. */
  const failModelsWhile = (failing: () => boolean) =>
    tab.page.route('**/ai/models', (route: Route) =>
      failing()
        ? fulfillError(route, 429, 'Too Many Requests', 'too many requests', 'RATE_LIMITED', { 'retry-after': '1' })
        : route.continue(),
    );

  it('asks for the models again when they could not be listed, and calls none unavailable meanwhile', async () => {
    let failing = true;
    await failModelsWhile(() => failing);
    await signUpThroughPage(tab.page, server.t.url);
    await ui().alert.getByText('Too many requests. Please wait').waitFor();
    await sendAndWait(tab.page, 'Which model answers?');
    expect(await ui().model.locator('option').allTextContents()).toEqual(['echo/echo']);

    const anotherModel = tab.page.getByRole('button', { name: 'Regenerate answer with another model' });
    await anotherModel.click();
    await tab.page.getByText('The models could not be loaded.').waitFor();
    expect(await tab.page.getByText('No models are available.').count()).toBe(0);

    failing = false;
    await anotherModel.click();
    await anotherModel.click();
    await tab.page.getByRole('button', { name: 'Regenerate answer with openai/gpt-4o', exact: true }).waitFor();
    expect(await ui().model.locator('option').allTextContents()).toEqual([
      'openai/gpt-4o-mini',
      'openai/gpt-4o',
      'echo/echo',
    ]);
    expect(await ui().model.inputValue()).toBe('echo/echo');
  });

  it('lists the models once the picker is opened after they could not be listed', async () => {
    let failing = true;
    await failModelsWhile(() => failing);
    await signUpThroughPage(tab.page, server.t.url);
    expect(await ui().model.locator('option').allTextContents()).toEqual(['Default model']);

    failing = false;
    await ui().model.focus();

    await eventually(async () => (await ui().model.locator('option').count()) === 4, 'the models are listed');
    await ui().model.selectOption('openai/gpt-4o');
  });

  it('lists a conversation once when the list is loaded after it failed and a chat was started meanwhile', async () => {
    let failing = true;
    let refused = 0;
    await tab.page.route(
      (url) => url.pathname === '/conversations',
      (route: Route) =>
        failing && route.request().method() === 'GET' && ++refused
          ? fulfillError(route, 429, 'Too Many Requests', 'too many requests', 'RATE_LIMITED')
          : route.continue(),
    );
    await signUpThroughPage(tab.page, server.t.url);
    await ui().conversations.getByText('Could not load conversations.').waitFor();
    // The button shown again after the failure is not taken for a scroll to the end: nothing asks again by itself.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(refused).toBe(1);
    await sendAndWait(tab.page, 'Listed once');
    await ui().conversations.getByRole('link', { name: 'Listed once' }).waitFor();

    failing = false;
    await tab.page.getByRole('button', { name: 'Load more conversations' }).click();

    await tab.page.waitForFunction(() => !document.getElementById('sidebar')!.hasAttribute('aria-busy'));
    expect(await ui().conversations.getByRole('link').allTextContents()).toEqual(['Listed once']);
  });

  it('says so when an answer fails part-way, keeps what arrived, and keeps the question on the server', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await ui().model.selectOption('openai/gpt-4o-mini');
    server.upstream.streamError({
      chunks: ['The first', ' half', ' and never the rest'],
      afterChunks: 2,
      type: 'server_error',
      message: 'the fake model fell over',
    });

    const answer = await sendAndWait(tab.page, 'Will this work?');

    expect(await answer.textContent()).toContain('The first half');
    await answer.getByText(/^The answer failed: /).waitFor();
    expect(await ui().message.inputValue()).toBe('');

    await tab.page.reload();
    await ui().lastQuestion.getByText('Will this work?').waitFor();
    await ui()
      .lastAnswer.getByText(/^The answer failed: /)
      .waitFor();
    expect(await ui().lastAnswer.textContent()).toContain('The first half');
  });

  it('says so when the provider refuses before answering (an error event with no text)', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await ui().model.selectOption('openai/gpt-4o-mini');
    server.upstream.fail({ status: 503, message: 'overloaded' });

    const answer = await sendAndWait(tab.page, 'Anyone home?');

    await answer.getByText(/^The answer failed: /).waitFor();
    expect(await ui().lastQuestion.textContent()).toContain('Anyone home?');
    await eventually(async () => (await storedUserMessages('Anyone home?')).length === 1, 'the question is stored');
  });

  it('names the model that answered when a fallback (MODEL_FALLBACKS) answered in place of the one chosen', async () => {
    await signUpThroughPage(tab.page, server.t.url);
    await ui().model.selectOption('openai/gpt-4o');
    server.upstream.fail({ status: 503, message: 'overloaded' });

    await sendAndWait(tab.page, 'Who is there?');
    await tab.page.reload();

    await ui().lastAnswer.getByText('echo/echo (for openai/gpt-4o)').waitFor();
    expect(await ui().lastAnswer.textContent()).toContain('Who is there?');
  });
});
