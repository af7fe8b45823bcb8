import { bearer, registerUser, uniqueEmail } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

const METRICS_TOKEN = 'scrape-token-0123456789';

/** The value of one series in Prometheus text, or 0 when it is not there yet. */
function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('GET /metrics', () => {
  let off: TestApp;
  let t: TestApp;

  beforeAll(async () => {
    off = await createTestApp();
    t = await createTestApp({ METRICS_TOKEN });
  });
  afterAll(async () => {
    await off?.close();
    await t?.close();
  });

  const scrape = async () => {
    const res = await t.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);
    return res.text;
  };

  it('is off (404) without METRICS_TOKEN, and refuses a missing or wrong token (401)', async () => {
    await off.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(404);
    await t.http().get('/metrics').expect(401);
    await t.http().get('/metrics').set(bearer('scrape-token-0123456780')).expect(401);
    const res = await t.http().get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(res.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('moves the HTTP, model, token and sign-in series as requests happen, with no personal labels', async () => {
    const before = await scrape();
    const email = uniqueEmail('metrics');
    const me = await registerUser(t, { email });
    await t.http().post('/auth/login').send({ email, password: 'wrong-password-1' }).expect(401);
    await t.http().post('/auth/login').send({ email, password: me.password }).expect(200);
    const conversation = await t.http().post('/conversations').set(bearer(me.accessToken)).send({}).expect(201);
    await t
      .http()
      .post(`/conversations/${conversation.body.id}/messages`)
      .set(bearer(me.accessToken))
      .send({ content: 'count these words please' })
      .expect(201);
    await t.http().get(`/conversations/${conversation.body.id}`).set(bearer(me.accessToken)).expect(200);
    const after = await scrape();

    const moved = (series: string) => valueOf(after, series) - valueOf(before, series);
    expect(moved('colloquy_sign_ins_total{method="password",outcome="success"}')).toBe(1);
    expect(moved('colloquy_sign_ins_total{method="password",outcome="failure"}')).toBe(1);
    expect(moved('colloquy_model_requests_total{provider="echo",model="echo",outcome="complete"}')).toBe(1);
    expect(moved('colloquy_model_tokens_total{provider="echo",model="echo",kind="completion"}')).toBeGreaterThan(0);
    expect(moved('colloquy_model_time_to_first_token_seconds_count{provider="echo",model="echo"}')).toBe(1);
    expect(moved('colloquy_model_stream_duration_seconds_count{provider="echo",model="echo",outcome="complete"}')).toBe(
      1,
    );
    // By route template: the conversation's id is not in the label.
    expect(
      moved('colloquy_http_request_duration_seconds_count{route="/conversations/:id",method="GET",status="200"}'),
    ).toBe(1);
    expect(moved('colloquy_http_request_duration_seconds_count{route="/auth/login",method="POST",status="401"}')).toBe(
      1,
    );
    expect(valueOf(after, 'colloquy_active_generations')).toBe(0);

    for (const secret of [email, me.user.id, conversation.body.id as string, me.accessToken, METRICS_TOKEN]) {
      expect(after).not.toContain(secret);
    }
  });

  it('labels a request that matched no route as such, never with its URL', async () => {
    await t.http().get('/no/such/place-4711').expect(404);
    const text = await scrape();
    expect(
      valueOf(text, 'colloquy_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}'),
    ).toBeGreaterThan(0);
    expect(text).not.toContain('place-4711');
  });
});
