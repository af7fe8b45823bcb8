'use strict';
// Load through autocannon's programmatic API, on loopback. Latencies are taken from autocannon's per-response
// event (fractions of a millisecond), not from its histogram, which keeps whole milliseconds only.
const autocannon = require('autocannon');
const { percentile } = require('./util');

function runOnce(options, record) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const statuses = {};
    const instance = autocannon({ ...options, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve({ result, latencies, statuses }),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (record) latencies.push(responseTime);
    });
  });
}

/**
 * Runs `warmupSeconds` of load that is thrown away, then `seconds` that are measured. Answers requests/s,
 * p50/p99 latency in ms, errors (connection errors and timeouts) and non-2xx answers. A row with non-2xx
 * answers or errors is `valid: false`: it measured something other than the route's work.
 */
async function measure({
  url,
  method = 'GET',
  headers = {},
  body,
  requests,
  connections,
  seconds,
  warmupSeconds = 2,
  overallRate,
}) {
  const base = {
    url,
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ...(requests && { requests }),
    connections,
    ...(overallRate && { overallRate }),
  };
  if (warmupSeconds > 0) await runOnce({ ...base, duration: warmupSeconds }, false);
  const { result, latencies, statuses } = await runOnce({ ...base, duration: seconds }, true);
  const completed = latencies.length;
  const non2xx = Object.entries(statuses)
    .filter(([status]) => !/^2/.test(status))
    .reduce((sum, [, count]) => sum + count, 0);
  const errors = result.errors + result.timeouts;
  return {
    requestsPerSecond: completed / (result.duration || seconds),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: completed,
    errors,
    non2xx,
    statuses,
    connections,
    seconds,
    valid: errors === 0 && non2xx === 0 && completed > 0,
  };
}

module.exports = { measure };
