// examples/ws_echo with the npm `ws` client: text and binary come back unchanged at any path, up to
// 16 MiB, whatever the fragmentation, with --compress compressed (permessage-deflate), and with
// --subprotocol the subprotocol negotiated.
// usage: node --test echo.test.mjs   (WS_ECHO=path/to/ws_echo)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSocket, startShowcase, stopShowcase } from './showcase.mjs';

let server;
let port;

before(async () => {
  ({ server, port } = await startShowcase([], process.env.WS_ECHO));
});

after(async () => {
  assert.equal(await stopShowcase(server), 0, 'ws_echo exits 0 on SIGTERM');
});

async function echoed(ws, payload, options = {}) {
  ws.send(payload, options);
  return ws.next();
}

test('text and binary come back unchanged at any path', async () => {
  for (const path of ['/', '/anything/at/all', '/ws/ws_echo/messages', '/rpc-not']) {
    const ws = await openSocket(`ws://127.0.0.1:${port}${path}`);
    assert.deepEqual(await echoed(ws, JSON.stringify({ path })), { path });
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    assert.deepEqual(await echoed(ws, bytes, { binary: true }), bytes);
    ws.close(1000);
    assert.equal((await ws.closed).code, 1000);
  }
});

test('16 MiB, and a message in 4,096 fragments', async () => {
  const ws = await openSocket(`ws://127.0.0.1:${port}/big`);
  const big = Buffer.alloc(16 * 1024 * 1024, 7);
  const back = await echoed(ws, big, { binary: true });
  assert.equal(back.length, big.length);
  assert.ok(back.equals(big));
  const piece = Buffer.alloc(64, 9);
  for (let i = 0; i < 4096; ++i) ws.send(piece, { binary: true, fin: i === 4095 });
  const joined = await ws.next();
  assert.equal(joined.length, 64 * 4096);
  ws.close();
  await ws.closed;
});

test('with --compress, permessage-deflate is negotiated and messages still come back unchanged', async () => {
  const { server: compressing, port: compressingPort } = await startShowcase(['--compress'], process.env.WS_ECHO);
  try {
    const ws = await openSocket(`ws://127.0.0.1:${compressingPort}/any`, { perMessageDeflate: { threshold: 0 } });
    assert.match(ws.extensions, /permessage-deflate/);
    const text = JSON.stringify({ repeated: 'abc'.repeat(10000) });
    assert.deepEqual(await echoed(ws, text), JSON.parse(text));
    const bytes = Buffer.alloc(1 << 20, 3);
    assert.ok((await echoed(ws, bytes, { binary: true })).equals(bytes));
    for (let i = 0; i < 50; ++i) assert.deepEqual(await echoed(ws, JSON.stringify({ i })), { i });  // context kept
    ws.close();
    await ws.closed;
    const plain = await openSocket(`ws://127.0.0.1:${compressingPort}/any`, { perMessageDeflate: false });
    assert.equal(plain.extensions, '');
    assert.deepEqual(await echoed(plain, '"as it is"'), 'as it is');
    plain.close();
    await plain.closed;
  } finally {
    assert.equal(await stopShowcase(compressing), 0);
  }
});

test('without --compress, an offer of compression is declined', async () => {
  const ws = await openSocket(`ws://127.0.0.1:${port}/any`, { perMessageDeflate: true });
  assert.equal(ws.extensions, '');
  assert.deepEqual(await echoed(ws, '[1]'), [1]);
  ws.close();
  await ws.closed;
});

test('with --subprotocol, the server picks its first choice among those the client offers', async () => {
  const { server: picking, port: pickingPort } =
    await startShowcase(['--subprotocol', 'echo.v2', '--subprotocol', 'echo.v1'], process.env.WS_ECHO);
  try {
    const ws = await openSocket(`ws://127.0.0.1:${pickingPort}/any`, { protocols: ['echo.v1', 'echo.v2'] });
    assert.equal(ws.protocol, 'echo.v2');
    assert.deepEqual(await echoed(ws, JSON.stringify({ v: 2 })), { v: 2 });
    ws.close();
    await ws.closed;
    const older = await openSocket(`ws://127.0.0.1:${pickingPort}/any`, { protocols: ['echo.v1'] });
    assert.equal(older.protocol, 'echo.v1');
    older.close();
    await older.closed;
    // None in common: the server accepts without one, and this client (as browsers do) gives up.
    await assert.rejects(openSocket(`ws://127.0.0.1:${pickingPort}/any`, { protocols: ['mqtt'] }), /subprotocol/);
  } finally {
    assert.equal(await stopShowcase(picking), 0);
  }
});
