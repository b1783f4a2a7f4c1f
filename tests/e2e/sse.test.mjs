// Drives the showcase's /sse routes with the npm `eventsource` client (what browsers implement):
// events in order, named events with multi-line data, Last-Event-ID on reconnect, resuming, and
// server-side clean-up after the client goes away.
// usage: node --test sse.test.mjs   (SHOWCASE=path/to/showcase, SHOWCASE_FLAGS="--httplib" for that server)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { startShowcase, stopShowcase, sleep } from './showcase.mjs';

let server;
let base;

before(async () => {
  const flags = (process.env.SHOWCASE_FLAGS || '').split(' ').filter(Boolean);
  ({ server, base } = await startShowcase(['--sse-heartbeat', '1', ...flags]));
});

after(async () => {
  assert.equal(await stopShowcase(server), 0, 'showcase exits 0 on SIGTERM');
});

// Collects events until `end` (or `error`), then closes so the client does not reconnect.
function collect(url, options = {}) {
  return new Promise((resolve, reject) => {
    const es = new EventSource(url, options);
    const events = [];
    es.onmessage = (e) => events.push({ type: 'message', id: e.lastEventId, data: JSON.parse(e.data) });
    es.addEventListener('tick', (e) => events.push({ type: 'tick', id: e.lastEventId, raw: e.data }));
    es.addEventListener('end', (e) => { es.close(); resolve({ events, end: e.data }); });
    es.addEventListener('error', (e) => {
      if (e.data) { es.close(); resolve({ events, error: JSON.parse(e.data) }); }
    });
    // unref: a guard that must not keep node running for its 10 s once the events came.
    setTimeout(() => { es.close(); reject(new Error(`timed out; got ${JSON.stringify(events)}`)); }, 10000).unref();
  });
}

test('values arrive in order with increasing ids, then an end event', async () => {
  const { events, end } = await collect(`${base}/sse/progress/count?n=5&delay_ms=10`);
  assert.deepEqual(events.map((e) => e.data.step), [1, 2, 3, 4, 5]);
  assert.deepEqual(events.map((e) => e.id), ['1', '2', '3', '4', '5']);
  assert.deepEqual(events[4].data, { step: 5, of: 5, percent: 100.0 });
  assert.equal(end, 'null');
});

test('named events carry multi-line data intact', async () => {
  const { events } = await collect(`${base}/sse/demo/ticker?n=3`);
  assert.deepEqual(events.map((e) => e.type), ['tick', 'tick', 'tick']);
  assert.equal(events[1].raw, '{\n  "tick": 2\n}');
  assert.deepEqual(JSON.parse(events[2].raw), { tick: 3 });
});

test('errors end the stream with an error event', async () => {
  const { error } = await collect(`${base}/sse/progress/count?n=-1`);
  assert.equal(error.error.kind, 'invalid_argument');
  const missing = await fetch(`${base}/sse/progress/nope`);
  assert.equal(missing.status, 404);
});

test('a reconnecting client sends Last-Event-ID and the endpoint resumes after it', async () => {
  const sent = [];
  const recordingFetch = (url, init) => { sent.push(new Headers(init.headers).get('last-event-id')); return fetch(url, init); };
  const steps = [];
  await new Promise((resolve, reject) => {
    const es = new EventSource(`${base}/sse/progress/count?n=3&delay_ms=10`, { fetch: recordingFetch });
    es.onmessage = (e) => steps.push(JSON.parse(e.data).step);
    let ends = 0;
    // After the first `end` the server closes; EventSource reconnects by itself with Last-Event-ID: 3.
    es.addEventListener('end', () => { if (++ends === 2) { es.close(); resolve(); } });
    setTimeout(() => { es.close(); reject(new Error(`no reconnect; headers ${JSON.stringify(sent)}`)); }, 10000).unref();
  });
  assert.deepEqual(sent.slice(0, 2), [null, '3']);
  assert.deepEqual(steps, [1, 2, 3], 'nothing is sent twice after the reconnect');

  const resumed = await collect(`${base}/sse/progress/count?n=4&delay_ms=10`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), 'last-event-id': '2' } }),
  });
  assert.deepEqual(resumed.events.map((e) => e.data.step), [3, 4]);
  assert.deepEqual(resumed.events.map((e) => e.id), ['3', '4']);
});

test('the server cleans up within a heartbeat after the client goes away', async () => {
  const before = await (await fetch(`${base}/api/demo/streams`)).json();
  await new Promise((resolve) => {
    const es = new EventSource(`${base}/sse/progress/count?n=10000&delay_ms=5000`);
    es.onmessage = () => { es.close(); resolve(); };  // leave after the first value
  });
  let now;
  for (let i = 0; i < 40; ++i) {  // heartbeat is 1 s here; the endpoint sleeps 5 s between values
    await sleep(100);
    now = await (await fetch(`${base}/api/demo/streams`)).json();
    if (now.finished > before.finished) break;
  }
  assert.equal(now.finished, before.finished + 1, 'the endpoint returned and its clean-up ran');
  assert.equal(now.open, before.open);
});
