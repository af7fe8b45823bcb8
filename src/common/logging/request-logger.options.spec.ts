import type { IncomingMessage } from 'node:http';
import { clientAddressOf } from './request-logger.options';

const requestFrom = (peer: string, forwarded?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe('the client address of a request log line', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    expect(clientAddressOf(requestFrom('10.0.0.1', '198.51.100.1'), 0)).toBe('10.0.0.1');
    expect(clientAddressOf(requestFrom('10.0.0.1'), 1)).toBe('10.0.0.1');
  });

  it('goes back one X-Forwarded-For entry per trusted hop, never past the first', () => {
    const forwarded = '198.51.100.1, 203.0.113.7,192.0.2.5';
    expect(clientAddressOf(requestFrom('10.0.0.1', forwarded), 1)).toBe('192.0.2.5');
    expect(clientAddressOf(requestFrom('10.0.0.1', forwarded), 2)).toBe('203.0.113.7');
    expect(clientAddressOf(requestFrom('10.0.0.1', forwarded), 5)).toBe('198.51.100.1');
  });
});
