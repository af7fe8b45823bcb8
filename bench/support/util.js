'use strict';
// Small helpers shared by the benchmark: statistics, ports, timing, progress lines.
const net = require('node:net');
const { setTimeout: sleep } = require('node:timers/promises');

/** Nearest-rank percentile of a list of numbers (p in 0..100); NaN for an empty list. */
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const median = (values) => percentile(values, 50);

function summarize(values) {
  return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values) };
}

/** A free TCP port on the loopback interface. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** A progress line on stderr, so that stdout carries only the report. */
function progress(message) {
  const time = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[${time}] ${message}\n`);
}

/** Rounds for display and JSON: keeps 3 significant figures for small values, whole numbers for large ones. */
function round(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(digits));
}

/** A deterministic pseudo-random generator (mulberry32), so that two runs seed the same data. */
function randomGenerator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped UUID drawn from `random`. */
function uuidFrom(random) {
  const hex = () =>
    Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  const a = hex();
  const b = hex();
  const c = hex();
  const d = hex();
  const variant = ((parseInt(c[0], 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

module.exports = { percentile, median, summarize, freePort, sleep, nowMs, progress, round, randomGenerator, uuidFrom };
