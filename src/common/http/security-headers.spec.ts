import helmet from 'helmet';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { securityHeadersOf } from './security-headers';

const OPTIONS = {
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'blob:'], upgradeInsecureRequests: null },
  },
};

/** A response nobody sends, to see the headers set on it, in their order and with their names' case. */
function response(): ServerResponse {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  response.setHeader('X-Powered-By', 'something');
  return response;
}
// Node has getRawHeaderNames since 15.13; its types do not list it.
const written = (res: ServerResponse) =>
  (res as ServerResponse & { getRawHeaderNames(): string[] })
    .getRawHeaderNames()
    .map((name) => [name, res.getHeader(name)]);

describe('securityHeadersOf', () => {
  it("records exactly what helmet's middleware does to a response", () => {
    const byHelmet = response();
    helmet(OPTIONS)(byHelmet.req, byHelmet, () => undefined);

    const recorded = securityHeadersOf(OPTIONS);
    const replayed = response();
    for (const [name, value] of recorded.set) replayed.setHeader(name, value);
    for (const name of recorded.removed) replayed.removeHeader(name);

    expect(written(replayed)).toEqual(written(byHelmet));
    expect(replayed.getHeader('x-powered-by')).toBeUndefined();
    expect(replayed.getHeader('content-security-policy')).toContain("img-src 'self' blob:");
  });

  it('refuses a policy that would differ between requests', () => {
    const nonce = () => "'nonce-abc'";
    expect(() =>
      securityHeadersOf({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", nonce] } } }),
    ).toThrow(/depends on the request/);
  });
});
