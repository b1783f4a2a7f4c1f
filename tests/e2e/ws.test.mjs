// Drives the showcase's WebSocket at /rpc with the npm `ws` client: JSON-RPC calls, batches,
// notifications and streams, messages of 64 KiB and 15 MiB, a message in 65,536 fragments, and the
// close codes a client sees for what the server refuses.
// usage: node --test ws.test.mjs   (SHOWCASE=path/to/showcase)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { openSocket, startShowcase, stopShowcase } from './showcase.mjs';

let server;
let url;

before(async () => {
  let port;
  ({ server, port } = await startShowcase());
  url = `ws://127.0.0.1:${port}/rpc`;
});

after(async () => {
  assert.equal(await stopShowcase(server), 0, 'showcase exits 0 on SIGTERM');
});

const connect = (options = {}) => openSocket(url, options);

const call = (method, params, id) => JSON.stringify({ jsonrpc: '2.0', method, params, id });

test('calls, batches and notifications', async () => {
  const ws = await connect();
  ws.send(call('tools.add', [2, 3], 1));
  assert.deepEqual(await ws.next(), { jsonrpc: '2.0', result: 5, id: 1 });
  ws.send(call('greet.hello', { name: 'Ada', nickname: 'Countess' }, 'g'));
  assert.deepEqual(await ws.next(), { jsonrpc: '2.0', result: 'Hello, Ada (Countess)!', id: 'g' });
  ws.send(JSON.stringify([
    { jsonrpc: '2.0', method: 'tools.multiply', params: [6, 7], id: 2 },
    { jsonrpc: '2.0', method: 'tools.add', params: [1, 1] },
    { jsonrpc: '2.0', method: 'tools.toUpperCase', params: { text: 'abc' }, id: 3 },
  ]));
  const batch = await ws.next();
  assert.deepEqual(batch.map((r) => [r.id, r.result]), [[2, 42], [3, 'ABC']]);
  ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'tools.add', params: [1, 2] }));  // no answer
  ws.send(call('tools.add', [1, 'x'], 4));
  const error = await ws.next();
  assert.equal(error.id, 4);
  assert.equal(error.error.code, -32602);
  ws.close(1000);
  assert.equal((await ws.closed).code, 1000);
});

test('a stream arrives as notifications, then its answer', async () => {
  const ws = await connect();
  ws.send(call('progress.count', { n: 3, delay_ms: 1 }, 'p'));
  const values = [await ws.next(), await ws.next(), await ws.next()];
  assert.deepEqual(values.map((v) => [v.method, v.params.id, v.params.value.step, v.params.value.of]),
    [['stream', 'p', 1, 3], ['stream', 'p', 2, 3], ['stream', 'p', 3, 3]]);
  const done = await ws.next();
  assert.equal(done.id, 'p');
  assert.ok(!('error' in done), JSON.stringify(done));
  ws.close();
});

test('64 KiB and 15 MiB messages', async () => {
  const ws = await connect();
  for (const size of [64 * 1024, 15 * 1024 * 1024]) {
    const text = 'x'.repeat(size);
    ws.send(call('tools.echo', [text], size));
    const answer = await ws.next();
    assert.equal(answer.id, size);
    assert.equal(answer.result.length, size);
  }
  ws.close();
});

test('a message in 65,536 fragments', async () => {
  const ws = await connect();
  const head = '{"jsonrpc":"2.0","method":"tools.echo","id":"f","params":["';
  const tail = '"]}';
  const size = 65536 * 64;
  const message = head + 'y'.repeat(size - head.length - tail.length) + tail;
  for (let at = 0; at < size; at += 64) ws.send(message.slice(at, at + 64), { fin: at + 64 >= size });
  const answer = await ws.next();
  assert.equal(answer.id, 'f');
  assert.equal(answer.result.length, size - head.length - tail.length);
  ws.close();
});

test('what the server refuses, with its close code', async () => {
  const cases = [
    ['binary at /rpc', (ws) => ws.send(Buffer.from([1, 2, 3])), 1003],
    ['text that is not UTF-8', (ws) => ws.send(Buffer.from([0x22, 0xff, 0x22]), { binary: false }), 1007],
    ['a message over 16 MiB', (ws) => ws.send('z'.repeat(16 * 1024 * 1024 + 1)), 1009],
  ];
  for (const [name, misbehave, expected] of cases) {
    const ws = await connect();
    ws.on('error', () => {});
    misbehave(ws);
    assert.equal((await ws.closed).code, expected, name);
  }
});

test('a page from another origin is refused', async () => {
  const ws = new WebSocket(url, { origin: 'http://evil.example' });
  const status = await new Promise((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.once('open', () => resolve('opened'));
    ws.once('error', () => {});
  });
  assert.equal(status, 403);
  // The showcase lists a dev server's origins (--cors-origin defaults): its own pages still connect.
  const own = await openSocket(url, { origin: url.replace(/^ws/, 'http').replace(/\/rpc$/, '') });
  own.close();
  await own.closed;
});
