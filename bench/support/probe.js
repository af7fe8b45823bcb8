'use strict';
// Preloaded into the server under test (`node --require bench/support/probe.js dist/main.js`). When the process
// was started with an IPC channel, it answers the benchmark's questions about event-loop delay and memory.
// It adds a histogram timer and nothing else; the server does not know it is there.
const { monitorEventLoopDelay } = require('node:perf_hooks');

if (typeof process.send === 'function') {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const ms = (ns) => ns / 1e6;

  process.on('message', (message) => {
    if (!message || message.probe !== true) return;
    if (message.reset) delay.reset();
    if (message.gc && typeof global.gc === 'function') global.gc();
    const memory = process.memoryUsage();
    process.send({
      probe: true,
      id: message.id,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      eventLoopDelay: {
        // The histogram counts whole samples of `resolution`; subtract it to get the delay beyond the timer.
        p50: Math.max(0, ms(delay.percentile(50)) - 5),
        p99: Math.max(0, ms(delay.percentile(99)) - 5),
        max: Math.max(0, ms(delay.max) - 5),
        samples: delay.count,
      },
    });
  });
  // The IPC channel must not keep a server alive that is otherwise ready to exit.
  process.channel?.unref();
}
