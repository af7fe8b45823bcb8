import type { FastifyReply } from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseWriter } from './sse-writer';

describe('SseWriter', () => {
  it('is closed at once, heartbeat and all, when the client left before the stream opened', async () => {
    let opened!: (writer: SseWriter) => void;
    const writer = new Promise<SseWriter>((resolve) => (opened = resolve));
    const server = http.createServer((req, res) => {
      // The stream opens only after the client has gone, as when it leaves while its request is handled.
      res.once('close', () => {
        const reply = { raw: res, hijack: () => undefined, getHeaders: () => ({}) } as unknown as FastifyReply;
        opened(SseWriter.open(reply));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const request = http.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      request.on('error', () => undefined);
      request.once('socket', (socket) => socket.once('connect', () => setTimeout(() => request.destroy(), 20)));
      const sse = await writer;

      let left = false;
      sse.onClose(() => (left = true));
      const closed = await Promise.race([
        sse.closed.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 500)),
      ]);
      expect(closed).toBe(true);
      expect(left).toBe(true);
      expect(sse.open).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
