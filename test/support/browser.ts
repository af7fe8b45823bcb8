// Functions passed to page.evaluate run in the browser, with its DOM.
/// <reference lib="dom" />
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { uniqueEmail } from './auth';
import { createTestApp, type TestApp } from './create-test-app';

/** Quiet and offline: no updates, sync, field trials or other traffic of Chromium's own. */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Where the test run leaves screenshots for people to look at (ignored by git). */
export const ARTIFACTS = join(__dirname, '..', 'artifacts');

/**
 * Headless Chromium with a fresh, temporary profile (Playwright makes and removes it): the one that
 * chromium.global-setup.ts unpacked, or the one CHROMIUM_PATH names.
 */
async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath || !existsSync(executablePath)) {
    throw new Error(
      `The browser tests need Chromium at CHROMIUM_PATH (${executablePath ?? 'not set'}), and it is not there. ` +
        'Unset CHROMIUM_PATH to use the one that comes with @sparticuz/chromium, or point it at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
}

export interface ChatServer {
  t: TestApp;
  upstream: FakeUpstream;
  close: () => Promise<void>;
}

/**
 * The real app, with the echo model and an OpenAI-compatible provider played by the fake upstream (whose
 * models show up as openai/gpt-4o-mini and openai/gpt-4o).
 */
async function startChatServer(env: Record<string, string> = {}, port?: number): Promise<ChatServer> {
  const upstream = await startFakeUpstream();
  const t = await createTestApp(
    {
      OPENAI_BASE_URL: `${upstream.url}/v1`,
      OPENAI_API_KEY: 'test-key',
      DEFAULT_MODEL: 'echo/echo',
      ...env,
    },
    { port },
  ).catch(async (error: unknown) => {
    await upstream.close();
    throw error;
  });
  return {
    t,
    upstream,
    close: async () => {
      await t.close();
      await upstream.close();
    },
  };
}

/**
 * The chat server and a browser, started side by side. When either fails the other is closed before the
 * error goes on: a suite whose setup fails leaves nothing open, so Jest reports it and exits. `port`: the app's,
 * when it must be known in advance (a PUBLIC_URL that providers send the browser back to).
 */
export async function startChatServerAndBrowser(
  env: Record<string, string> = {},
  { port }: { port?: number } = {},
): Promise<{ server: ChatServer; browser: Browser }> {
  const [server, browser] = await Promise.allSettled([startChatServer(env, port), launchBrowser()]);
  if (server.status === 'fulfilled' && browser.status === 'fulfilled') {
    return { server: server.value, browser: browser.value };
  }
  await Promise.allSettled([
    server.status === 'fulfilled' && server.value.close(),
    browser.status === 'fulfilled' && browser.value.close(),
  ]);
  throw server.status === 'rejected' ? server.reason : (browser as PromiseRejectedResult).reason;
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Every URL the page asked for, in order. */
  requests: string[];
  /** Messages of uncaught errors in the page. */
  pageErrors: string[];
}

/** A new browser context (its own cookies and storage) with one page, recording what it requests. */
export async function openPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<TestPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const requests: string[] = [];
  const pageErrors: string[] = [];
  context.on('request', (request) => void requests.push(request.url()));
  page.on('pageerror', (error) => void pageErrors.push(error.message));
  return { context, page, requests, pageErrors };
}

/** The URLs among `requests` that went anywhere but the app itself. */
export function foreignRequests(requests: string[], appUrl: string): string[] {
  return requests.filter((url) => !url.startsWith(`${appUrl}/`));
}

/** Waits until `check` holds, polling; fails with `what` when it does not within the timeout. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const signInForm = (page: Page) => ({
  heading: page.getByRole('heading', { name: 'Sign in' }),
  email: page.getByRole('textbox', { name: 'Email' }),
  password: page.getByLabel('Password', { exact: true }),
});

/** The chat screen's controls, found the way a person (or a screen reader) finds them. */
export const chat = (page: Page) => ({
  message: page.getByRole('textbox', { name: 'Message' }),
  send: page.getByRole('button', { name: 'Send' }),
  stop: page.getByRole('button', { name: 'Stop' }),
  model: page.getByRole('combobox', { name: 'Model' }),
  search: page.getByRole('searchbox', { name: 'Search conversations' }),
  conversations: page.getByRole('navigation', { name: 'Conversations' }),
  messages: page.getByRole('log', { name: 'Messages' }),
  logout: page.getByRole('button', { name: 'Log out' }),
  newChat: page.getByRole('button', { name: 'New chat' }),
  alert: page.locator('#alert'),
  lastAnswer: page.getByRole('article', { name: 'Assistant' }).last(),
  lastQuestion: page.getByRole('article', { name: 'You' }).last(),
});

/** Signs a new person up through the form; resolves once the chat screen is there. */
export async function signUpThroughPage(page: Page, appUrl: string, email = uniqueEmail('browser')) {
  await page.goto(`${appUrl}/`);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('correct-horse-1');
  await page.getByRole('button', { name: 'Create account' }).click();
  await chat(page).logout.waitFor();
  await chatSettled(page);
  return { email, password: 'correct-horse-1' };
}

/** Signs an existing person in through the form; resolves once the chat screen has loaded. */
export async function signInThroughPage(page: Page, appUrl: string, email: string, password: string) {
  await page.goto(`${appUrl}/`);
  await signInForm(page).email.fill(email);
  await signInForm(page).password.fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await chat(page).logout.waitFor();
  await chatSettled(page);
}

/** Resolves once the chat screen has loaded the models and the conversation list. */
export async function chatSettled(page: Page) {
  await page.waitForFunction(
    () =>
      !(document.getElementById('model') as HTMLSelectElement).disabled &&
      !document.getElementById('sidebar')!.hasAttribute('aria-busy'),
  );
}

/** Types a message and presses Enter; resolves once the answer has finished (or failed, or stopped). */
export async function sendAndWait(page: Page, text: string): Promise<Locator> {
  const before = await page.getByRole('article', { name: 'Assistant' }).count();
  await chat(page).message.fill(text);
  await chat(page).message.press('Enter');
  const answer = page.getByRole('article', { name: 'Assistant' }).nth(before);
  await answer.waitFor();
  await page.waitForFunction(
    (index) => document.querySelectorAll('article[aria-label="Assistant"]')[index]?.getAttribute('aria-busy') === null,
    before,
  );
  return answer;
}

/** Runs axe-core's WCAG 2.1 A and AA rules on the page; answers with the violations, described. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not restrict.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}

interface AxeResult {
  violations: { id: string; help: string; nodes: { target: string[] }[] }[];
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
