// switchboard.js under Node against a live showcase: the module exactly as the server serves it at
// /_sb/switchboard.js, with the ws and eventsource packages standing in for the browser's globals.
// usage: node --test client.test.mjs   (SHOWCASE=path/to/showcase; WIRE_SERVER=path/to/wire_server
// for the authentication tests)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startShowcase, stopShowcase, sleep } from './showcase.mjs';

let server;
let base;
let sb;  // the served module

before(async () => {
  ({ server, base } = await startShowcase());
  const served = await fetch(`${base}/_sb/switchboard.js`);
  assert.equal(served.status, 200);
  const file = join(tmpdir(), `switchboard-served-${process.pid}.mjs`);
  writeFileSync(file, await served.text());
  sb = await import(pathToFileURL(file).href);
});

after(async () => {
  assert.equal(await stopShowcase(server), 0);
});

const options = (more = {}) => ({ url: base, WebSocket, EventSource, ...more });

// A promise that rejects when `what` does not come within `ms`: a lost event fails the test, not hangs it.
function within(promise, what, ms = 10000) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Waits for a condition instead of for a time.
async function until(condition, what, ms = 10000) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('both files are served at /_sb/, anything else there is 404, and only GET and HEAD', async () => {
  const js = await fetch(`${base}/_sb/switchboard.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.match(await js.text(), /export function invoke/);
  const dts = await fetch(`${base}/_sb/switchboard.d.ts`);
  assert.equal(dts.status, 200);
  assert.match(await dts.text(), /export declare function invoke/);
  const missing = await fetch(`${base}/_sb/other.js`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.kind, 'not_found');
  assert.equal((await fetch(`${base}/_sb/switchboard.js`, { method: 'POST' })).status, 405);
});

for (const transport of ['http', 'websocket']) {
  test(`invoke over ${transport}: results, and errors with the server's kind, message and where`, async () => {
    const client = new sb.Client(options({ websocket: transport === 'websocket' }));
    if (transport === 'websocket') await client.ready();
    try {
      assert.equal(await client.invoke('tools.add', { a: 2, b: 3 }), 5);
      assert.equal(await client.invoke('tools.multiply', [4, 2.5]), 10);
      assert.equal(await client.invoke('tools.toUpperCase', { text: 'abc' }), 'ABC');
      assert.deepEqual(await client.invoke('tools.reverseArray', { items: [1, 'b', null] }), [null, 'b', 1]);
      assert.deepEqual(await client.invoke('tools.echo', { value: { nested: [1, 2] } }), { nested: [1, 2] });
      assert.equal(await client.invoke('greet.hello', { name: 'Ada', nickname: 'Countess' }), 'Hello, Ada (Countess)!');
      const info = await client.invoke('tools.getSystemInfo');
      assert.equal(typeof info.cpuCount, 'number');
      assert.equal(typeof info.frameworkVersion, 'string');
      const wrong = await client.invoke('tools.add', { a: 'x', b: 1 }).catch((e) => e);
      assert.ok(wrong instanceof sb.SwitchboardError, String(wrong));
      assert.equal(wrong.kind, 'invalid_argument');
      assert.match(wrong.where, /a/);
      assert.match(wrong.message, /number|expected/);
      const unknown = await client.invoke('tools.nothing', {}).catch((e) => e);
      assert.equal(unknown.kind, 'not_found');
      const failing = await client.invoke('demo.fails').catch((e) => e);
      assert.ok(failing instanceof sb.SwitchboardError);
      assert.equal(failing.kind, 'internal');
      assert.doesNotMatch(failing.message, /stays in the server log/, "an exception's text is not sent to clients");
    } finally {
      client.close();
    }
  });

  test(`invoke over ${transport}: the timeout fires against a slow endpoint, and an AbortSignal stops a call`, async () => {
    const client = new sb.Client(options({ websocket: transport === 'websocket' }));
    if (transport === 'websocket') await client.ready();
    try {
      const late = await client.invoke('demo.slow', [], { timeout: 40 }).catch((e) => e);
      assert.equal(late.kind, 'timeout');
      assert.match(late.message, /within 40 ms/, "the client's 40 ms, not the server's 100 ms");
      const controller = new AbortController();
      const pending = client.invoke('demo.slow', [], { signal: controller.signal });
      controller.abort();
      const aborted = await pending.catch((e) => e);
      assert.equal(aborted.name, 'AbortError');
      assert.equal(await client.invoke('tools.add', [1, 1]), 2, 'the client still works after both');
    } finally {
      client.close();
    }
  });

  test(`stream over ${transport === 'http' ? 'SSE' : 'the /rpc WebSocket'}: every value, the end, and stop()`, async () => {
    const client = new sb.Client(options({ websocket: transport === 'websocket' }));
    if (transport === 'websocket') await client.ready();
    try {
      const values = [];
      const run = client.stream('progress.count', { n: 5, delay_ms: 5 }, (v) => values.push(v));
      assert.equal(await run.result, null);
      assert.deepEqual(values.map((v) => v.step), [1, 2, 3, 4, 5]);
      assert.equal(values.at(-1).percent, 100);
      const streams = async () => (await fetch(`${base}/api/demo/streams`)).json();
      const before = await streams();
      const seen = [];
      const long = client.stream('progress.count', { n: 1000, delay_ms: 20 }, (v) => seen.push(v));
      await until(() => seen.length >= 2, 'two values');
      long.stop();
      const stopped = await long.result.catch((e) => e);
      assert.equal(stopped.kind, 'cancelled');
      const count = seen.length;
      // Once the endpoint has returned on the server, nothing more can come.
      let now;
      await until(async () => {
        now = await streams();
        return now.open === before.open && now.finished > before.finished;
      }, 'the stopped stream to end on the server', 20000);
      assert.ok(seen.length <= count + 1, 'no values after the stop');
      const bad = await client.stream('progress.count', { n: -1 }, () => {}).result.catch((e) => e);
      assert.ok(bad instanceof sb.SwitchboardError);
      assert.equal(bad.kind, 'invalid_argument');
    } finally {
      client.close();
    }
  });
}

test('connect: two connections chat (welcome, user_joined, new_message to both, user_left) with on/once/off', async () => {
  const client = new sb.Client(options());
  const alice = client.connect('/ws/chat/public_room');
  const welcome = await within(new Promise((resolve) => alice.once('ws:event:welcome', resolve)), 'welcome');
  assert.ok(Array.isArray(welcome.users));
  const joined = new Promise((resolve) => alice.once('ws:event:user_joined', resolve));
  const bob = client.connect('/ws/chat/public_room');
  const bobWelcome = await within(new Promise((resolve) => bob.once('ws:event:welcome', resolve)), "bob's welcome");
  assert.equal((await within(joined, 'user_joined')).id, bobWelcome.id);
  const heardByAlice = new Promise((resolve) => alice.once('ws:event:new_message', resolve));
  const heardByBob = new Promise((resolve) => bob.once('ws:event:new_message', resolve));
  const raw = [];
  const onRaw = (m) => raw.push(m);
  bob.on('ws:message', onRaw);
  assert.equal(bob.send({ event: 'chat_message', data: { message: 'hi' } }), true);
  assert.equal((await within(heardByAlice, 'the message at alice')).text, 'hi');
  assert.equal((await within(heardByBob, 'the message at bob')).text, 'hi');
  assert.equal(raw.at(-1).event, 'new_message');
  bob.off('ws:message', onRaw);
  const left = new Promise((resolve) => alice.once('ws:event:user_left', resolve));
  bob.disconnect();
  assert.equal((await within(left, 'user_left')).id, bobWelcome.id);
  assert.equal(bob.send({ event: 'chat_message', data: { message: 'too late' } }), false);
  alice.disconnect();
});

test('reconnect: a restarted server is reached again, sends made meanwhile wait in the queue, calls work again', async () => {
  const first = await startShowcase();
  const client = new sb.Client(options({ url: first.base, reconnect: { initialDelay: 50, maxDelay: 200 } }));
  await client.ready();
  const room = client.connect('/ws/chat/public_room');
  let opens = 0;
  room.on('ws:open', () => ++opens);
  await until(() => room.connected, 'the first connection');
  // A stream endpoint called plainly answers when its 100 values are done, 5 s on: the server goes first.
  const inFlight = client.invoke('progress.count', { n: 100, delay_ms: 50 }).then(() => null, (e) => e);
  assert.equal(await stopShowcase(first.server), 0);
  const dropped = await within(inFlight, 'the dropped call');
  assert.equal(dropped?.kind, 'unavailable', String(dropped));
  await until(() => !room.connected, 'the drop');
  assert.equal(room.send({ event: 'chat_message', data: { message: 'queued' } }), true);
  assert.equal(room.queued, 1);
  // Listening first: the connection may be back before startShowcase has seen the server answer.
  const heard = new Promise((resolve) => room.once('ws:event:new_message', resolve));
  const second = await startShowcase([], process.env.SHOWCASE, first.port);
  try {
    await until(() => room.connected, 'the reconnection', 20000);
    assert.equal((await within(heard, 'the queued message')).text, 'queued', 'the queued message went out after the reconnection');
    assert.ok(opens >= 1);
    await until(() => client.rpc?.open, '/rpc again', 20000);
    assert.equal(await client.invoke('tools.add', [20, 22]), 42);
  } finally {
    room.disconnect();
    client.close();
    assert.equal(await stopShowcase(second.server), 0);
  }
});

test('an idempotent call in flight when the socket drops is made again over HTTP; others reject', async () => {
  const own = await startShowcase();
  const client = new sb.Client(options({ url: own.base, reconnect: { initialDelay: 50, maxDelay: 200 } }));
  try {
    await client.ready();
    // Both answer after 2 s or more (a stream endpoint called plainly collects its values): the drop comes first.
    const plain = client.invoke('progress.count', { n: 100, delay_ms: 50 }).then(() => null, (e) => e);
    const idempotent = client.invoke('progress.count', { n: 3, delay_ms: 1000 }, { idempotent: true });
    client.rpc.connection.disconnect(4000, 'test drop');  // the socket goes; the server stays
    const again = await within(idempotent, 'the idempotent call');
    assert.deepEqual(again.map((v) => v.step), [1, 2, 3], 'made again over HTTP, where the values are collected');
    const failed = await within(plain, 'the plain call');
    assert.equal(failed?.kind, 'unavailable', String(failed));
  } finally {
    client.close();
    assert.equal(await stopShowcase(own.server), 0);
  }
});

test('a full queue drops the message and says so', async () => {
  const client = new sb.Client(options({ url: 'http://127.0.0.1:9', queueLimit: 2, reconnect: { initialDelay: 10000 } }));
  const c = client.connect('/ws/chat/public_room');
  const errors = [];
  c.on('ws:error', (e) => errors.push(e));
  assert.equal(c.send('a'), true);
  assert.equal(c.send('b'), true);
  assert.equal(c.send('c'), false);
  assert.ok(errors.some((e) => /queue full/.test(e.message)));
  c.disconnect();
});

// The token option against the wire test server (WIRE_SERVER), which checks one.
const wire = process.env.WIRE_SERVER;
test('a token goes as Authorization over HTTP and as ?token= on the /rpc WebSocket', { skip: !wire && 'WIRE_SERVER not set' }, async () => {
  const own = await startShowcase(['--auth-token', 'sesame'], wire);
  const withToken = new sb.Client(options({ url: own.base, token: 'sesame' }));
  const overHttp = new sb.Client(options({ url: own.base, token: 'sesame', websocket: false }));
  const without = new sb.Client(options({ url: own.base, reconnect: { maxAttempts: 1 } }));
  try {
    await withToken.ready();
    assert.ok(withToken.rpc?.open, 'the /rpc handshake passed authenticate with the query token');
    assert.equal(await withToken.invoke('tools.add', { a: 1, b: 2 }), 3);
    assert.equal(await withToken.invoke('probe.whoami', {}), 'tester');
    assert.equal(await overHttp.invoke('probe.whoami', {}), 'tester', 'Authorization: Bearer over HTTP');
    await assert.rejects(without.invoke('tools.add', { a: 1, b: 2 }), (e) => e.kind === 'unauthorized');
  } finally {
    withToken.close();
    overHttp.close();
    without.close();
    assert.equal(await stopShowcase(own.server), 0);
  }
});

test('auth: "message" sends the token first; a wrong one ends the connection for good', { skip: !wire && 'WIRE_SERVER not set' }, async () => {
  const own = await startShowcase(['--ws-auth-message', 'sesame'], wire);
  const right = new sb.Client(options({ url: own.base, token: 'sesame', auth: 'message' }));
  const wrong = new sb.Client(options({ url: own.base, token: 'nope', auth: 'message', reconnect: { initialDelay: 10 } }));
  try {
    const replies = [];
    const who = right.connect('/ws/probe/who', { onMessage: (m) => replies.push(m) });
    who.send({ event: 'user' });  // queued until the auth_response
    await until(() => replies.some((m) => m.event === 'user'), 'the answer after auth');
    assert.deepEqual(replies.find((m) => m.event === 'user'), { event: 'user', data: 'tester' });
    assert.equal(await right.invoke('tools.add', { a: 2, b: 2 }), 4);
    let closed;
    const errors = [];
    const reconnecting = [];
    const refused = wrong.connect('/ws/probe/who', { onClose: (c) => { closed = c; }, onError: (e) => errors.push(e) });
    refused.on('ws:reconnecting', (r) => reconnecting.push(r));
    await until(() => closed, 'the refusal');
    assert.equal(closed.code, 1008);
    assert.ok(errors.some((e) => e.kind === 'unauthorized'), errors.map(String).join());
    // A reconnection would have been scheduled in the same close handler: none was.
    assert.deepEqual(reconnecting, []);
    assert.equal(refused.connected, false);
    who.disconnect();
    refused.disconnect();
  } finally {
    right.close();
    wrong.close();
    assert.equal(await stopShowcase(own.server), 0);
  }
});
