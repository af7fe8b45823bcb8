'use strict';
/**
 * The least a gateway can do, for scenario 8: `node:http` passing `POST /v1/chat/completions` on to the fake
 * upstream (BENCH_UPSTREAM) as it comes, over kept-alive connections, and the answer back as it comes
 * (`BENCH_PORT=... BENCH_UPSTREAM=http://... node trivial-proxy.js`). No authentication, no records, no log.
 */
const http = require('node:http');
const { URL } = require('node:url');

const port = Number(process.env.BENCH_PORT);
const upstream = new URL(process.env.BENCH_UPSTREAM);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

http
  .createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return res.end('ok');
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  })
  .listen(port, '127.0.0.1');
