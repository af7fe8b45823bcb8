'use strict';
// A Server-Sent Events client that times a stream: first text delta, last delta, end. It reads either the
// app's events (`user_message`, `delta`..., `assistant_message` | `error`) or OpenAI's chunk frames.
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { nowMs } = require('./util');

/**
 * POSTs `body` and reads the event stream. `wire` is 'relay' (the app) or 'openai' (the fake upstream directly).
 * Answers { status, firstDeltaMs, lastDeltaMs, totalMs, deltas, complete, error } with times from the start.
 */
function timeStream({ url, headers = {}, body, wire, agent, onFirstDelta, timeoutMs = 120_000 }) {
  return new Promise((resolve) => {
    const start = nowMs();
    const payload = JSON.stringify(body);
    const result = {
      status: 0,
      firstDeltaMs: NaN,
      lastDeltaMs: NaN,
      totalMs: NaN,
      deltas: 0,
      complete: false,
      error: null,
    };
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      result.totalMs = nowMs() - start;
      if (error) result.error = error.message ?? String(error);
      resolve(result);
    };
    const onEvent = (event, data) => {
      let delta = false;
      if (wire === 'relay') {
        if (event === 'delta') delta = true;
        else if (event === 'assistant_message') result.complete = true;
        else if (event === 'error') result.error = `error event: ${data}`;
      } else if (data === '[DONE]') {
        result.complete = true;
      } else {
        const content = JSON.parse(data).choices?.[0]?.delta?.content;
        delta = typeof content === 'string' && content.length > 0;
      }
      if (delta) {
        const at = nowMs() - start;
        if (result.deltas === 0) {
          result.firstDeltaMs = at;
          onFirstDelta?.();
        }
        result.lastDeltaMs = at;
        result.deltas++;
      }
    };
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          accept: 'text/event-stream',
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        result.status = res.statusCode;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (text) => {
          buffer += text;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (data.length > 0) {
              try {
                onEvent(event, data.join('\n'));
              } catch (error) {
                result.error = `unreadable event: ${error.message}`;
              }
            }
          }
        });
        res.on('end', () => finish(res.statusCode === 200 ? null : new Error(`status ${res.statusCode}`)));
        res.on('error', finish);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no progress within ${timeoutMs} ms`)));
    req.on('error', finish);
    req.end(payload);
  });
}

/**
 * Requests an event stream and hands each event ({ id, event, data }, `data` still JSON text) to `onEvent`, with
 * the time since the request started; `onEvent` returns true to disconnect there. Answers { status, error } once
 * the stream has ended or been left.
 */
function readEvents({ url, method = 'GET', headers = {}, body, agent, onEvent, timeoutMs = 30_000 }) {
  return new Promise((resolve) => {
    const start = nowMs();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let settled = false;
    let status = 0;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      resolve({ status, error: error ? (error.message ?? String(error)) : null });
    };
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          accept: 'text/event-stream',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        status = res.statusCode;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (text) => {
          buffer += text;
          let end;
          while (!settled && (end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = { id: null, event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event.event = line.slice(6).trim();
              else if (line.startsWith('id:')) event.id = Number(line.slice(3).trim());
              else if (line.startsWith('data:')) event.data += line.slice(5).trimStart();
            }
            if (event.id === null && event.data === '') continue;
            if (onEvent(event, nowMs() - start) === true) {
              finish(null);
              req.destroy();
            }
          }
        });
        res.on('end', () => finish(status === 200 ? null : new Error(`status ${status}`)));
        res.on('error', finish);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no progress within ${timeoutMs} ms`)));
    req.on('error', finish);
    req.end(payload);
  });
}

module.exports = { timeStream, readEvents };
