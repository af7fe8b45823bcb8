import { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
import { createTestApp, TestApp } from '../support/create-test-app';

// In-process: a request reaching a draining server (one already in the HTTP parser, say, or on a connection whose
// earlier request is still running) is rare with a real process; the app's own hooks answer it either way.
describe('A request that arrives while the server shuts down', () => {
  let t: TestApp;
  let finishWork: () => void;
  let shutdown: Promise<void>;

  beforeAll(async () => {
    t = await createTestApp({ SHUTDOWN_GRACE_MS: '10000' });
    const service = t.app.get(ShutdownService);
    // Work that keeps the shutdown in its grace period until the tests let it go.
    service.track(new Promise<void>((resolve) => (finishWork = resolve)));
    shutdown = service.beforeApplicationShutdown();
  });
  afterAll(async () => {
    finishWork();
    await shutdown;
    await t.close();
  });

  const inject = (url: string) => t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  it('answers 503 SHUTTING_DOWN in the API shape, with Retry-After and the usual headers, closing the connection', async () => {
    const res = await inject('/users/me');

    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the server is shutting down; try again',
      code: 'SHUTTING_DOWN',
    });
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers.connection).toBe('close');
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it("answers in OpenAI's shape under /v1, so that its SDKs retry", async () => {
    const res = await inject('/v1/models');

    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: {
        message: 'the server is shutting down; try again',
        type: 'server_error',
        param: null,
        code: 'shutting_down',
      },
    });
    expect(res.headers['retry-after']).toBe('1');
  });
});
