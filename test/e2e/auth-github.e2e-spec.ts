import { FakeGithub, FakeGithubUser } from '../fakes/fake-github';
import { uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { AppBrowser, REFRESH_COOKIE, setCookieOf } from '../support/provider-sign-in';

const PUBLIC_URL = 'http://colloquy.test';
const CALLBACK = `${PUBLIC_URL}/auth/oidc/github/callback`;

let ids = 1000;

describe('Sign-in with GitHub', () => {
  let github: FakeGithub;
  let t: TestApp;

  beforeAll(async () => {
    github = await new FakeGithub('gh-client', 'gh-secret-0123456789').start();
    // GitHub Enterprise Server's layout: the API under <GITHUB_URL>/api/v3 when GITHUB_API_URL is not set.
    t = await createTestApp({
      PUBLIC_URL,
      GITHUB_CLIENT_ID: 'gh-client',
      GITHUB_CLIENT_SECRET: 'gh-secret-0123456789',
      GITHUB_URL: github.url,
    });
  });
  afterAll(async () => {
    await t.close();
    await github.close();
  });

  function gitHubUser(overrides: Partial<FakeGithubUser> = {}): FakeGithubUser {
    ids += 1;
    return {
      id: ids,
      login: `octo${ids}`,
      name: `Octo ${ids}`,
      emails: [
        { email: uniqueEmail('gh-other'), primary: false, verified: true },
        { email: uniqueEmail('gh'), primary: true, verified: true },
      ],
      ...overrides,
    };
  }

  async function signIn(user: FakeGithubUser) {
    github.signInAs(user);
    const browser = new AppBrowser(t, PUBLIC_URL);
    const started = await browser.start('github');
    expect(started.status).toBe(302);
    const atGithub = await fetch(started.headers.get('location')!, { redirect: 'manual' });
    return browser.callback(new URL(atGithub.headers.get('location')!));
  }

  async function sessionOf(response: Response) {
    const cookie = setCookieOf(response, REFRESH_COOKIE);
    expect(cookie).toBeDefined();
    const res = await t
      .http()
      .post('/auth/refresh')
      .set('X-Refresh-Cookie', '1')
      .set('Cookie', `${REFRESH_COOKIE}=${encodeURIComponent(cookie!.value)}`)
      .send({})
      .expect(200);
    return res.body as { user: { id: string; email: string; displayName: string } };
  }

  it('is listed as a provider', async () => {
    const res = await t.http().get('/auth/providers').expect(200);

    expect(res.body.items).toEqual([{ id: 'github', label: 'GitHub' }]);
  });

  it('starts the web flow at GITHUB_URL with the callback, state and a PKCE challenge', async () => {
    const res = await new AppBrowser(t, PUBLIC_URL).start('github');

    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${github.url}/login/oauth/authorize`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'gh-client',
      redirect_uri: CALLBACK,
      scope: 'read:user user:email',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
  });

  it('makes an account from the verified primary address, with the numeric id as subject', async () => {
    const user = gitHubUser();

    const { response, location } = await signIn(user);

    expect(location).toBe(`${PUBLIC_URL}/`);
    const session = await sessionOf(response);
    expect(session.user).toEqual(expect.objectContaining({ email: user.emails[1].email, displayName: user.name }));
    const identities = await t.query('SELECT provider, issuer, subject, email FROM user_identities WHERE user_id = ?', [
      session.user.id,
    ]);
    expect(identities).toEqual([
      { provider: 'github', issuer: github.url, subject: String(user.id), email: user.emails[1].email },
    ]);
    const exchange = github.requests.filter((r) => r.path === '/login/oauth/access_token').at(-1)!;
    expect(exchange.form).toEqual(
      expect.objectContaining({ client_id: 'gh-client', redirect_uri: CALLBACK, code_verifier: expect.any(String) }),
    );
    const apiCall = github.requests.filter((r) => r.path === '/api/v3/user/emails').at(-1)!;
    expect(apiCall.headers['user-agent']).toBe('Colloquy');
  });

  it('signs a returning person in to the same account, by id, even after a rename and a new address', async () => {
    const user = gitHubUser();
    const first = await sessionOf((await signIn(user)).response);

    const renamed = {
      ...user,
      login: `${user.login}-renamed`,
      emails: [{ email: uniqueEmail('gh-new'), primary: true, verified: true }],
    };
    const again = await signIn(renamed);

    expect(again.location).toBe(`${PUBLIC_URL}/`);
    expect((await sessionOf(again.response)).user.id).toBe(first.user.id);
    const [identity] = await t.query<{ email: string }>('SELECT email FROM user_identities WHERE subject = ?', [
      String(user.id),
    ]);
    expect(identity.email).toBe(renamed.emails[0].email);
  });

  it('refuses a first sign-in whose primary address is not verified, even with another verified one', async () => {
    const user = gitHubUser({
      emails: [
        { email: uniqueEmail('gh-unverified'), primary: true, verified: false },
        { email: uniqueEmail('gh-verified'), primary: false, verified: true },
      ],
    });

    const { response, location } = await signIn(user);

    expect(location).toBe(`${PUBLIC_URL}/#signin-error=EMAIL_NOT_VERIFIED`);
    expect(setCookieOf(response, REFRESH_COOKIE)).toBeUndefined();
    const users = await t.query('SELECT id FROM users WHERE email IN (?, ?)', [
      user.emails[0].email,
      user.emails[1].email,
    ]);
    expect(users).toEqual([]);
  });

  it('tells the page when GitHub refuses (the person cancelled)', async () => {
    const browser = new AppBrowser(t, PUBLIC_URL);
    const started = await browser.start('github');
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;

    const { location } = await browser.callback(new URL(`${CALLBACK}?error=access_denied&state=${state}`));

    expect(location).toBe(`${PUBLIC_URL}/#signin-error=PROVIDER_DENIED`);
  });

  it('refuses a code GitHub does not accept', async () => {
    const browser = new AppBrowser(t, PUBLIC_URL);
    const started = await browser.start('github');
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;

    const { location } = await browser.callback(new URL(`${CALLBACK}?code=made-up&state=${state}`));

    expect(location).toBe(`${PUBLIC_URL}/#signin-error=PROVIDER_DENIED`);
  });
});
