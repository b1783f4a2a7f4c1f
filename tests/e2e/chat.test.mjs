// The showcase's chat room at /ws/chat/public_room with the npm `ws` client: welcome, arrivals
// announced to the others, messages to everyone, departures, errors as error events, a session's
// name carried into the room, JSON pings, and the paths that take no WebSocket.
// usage: node --test chat.test.mjs   (SHOWCASE=path/to/showcase)
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { openSocket, startShowcase, stopShowcase } from './showcase.mjs';

let server;
let base;
let room;

before(async () => {
  let port;
  ({ server, port, base } = await startShowcase());
  room = `ws://127.0.0.1:${port}/ws/chat/public_room`;
});

after(async () => {
  assert.equal(await stopShowcase(server), 0, 'showcase exits 0 on SIGTERM');
});

// Tests share the room, and a connection an earlier test closed announces its departure a moment
// after its client saw the close: a test's sockets skip arrivals and departures (delivered as
// published or wrapped) of connections the test did not open, known by their welcomes.
let ours = new Set();
beforeEach(() => { ours = new Set(); });
async function enter(url, options) {
  const ws = await openSocket(url, options);
  const next = ws.next;
  ws.next = async () => {
    for (;;) {
      const m = await next();
      const told = m?.type === 'delivery' ? m.data : m;
      if (told?.event === 'welcome') ours.add(told.data.id);
      if ((told?.event === 'user_joined' || told?.event === 'user_left') && !ours.has(told.data.id)) continue;
      return m;
    }
  };
  return ws;
}

const say = (ws, message) => ws.send(JSON.stringify({ event: 'chat_message', data: { message } }));

// Reads messages until one matches; the others are returned too, for checks of what came between.
async function until(ws, matches) {
  const seen = [];
  for (;;) {
    const m = await ws.next();
    if (matches(m)) return { m, seen };
    seen.push(m);
  }
}

test('two people chat: welcome, joined, messages to everyone, left', async () => {
  const ada = await enter(room);
  const welcome = (await ada.next());
  assert.equal(welcome.event, 'welcome');
  assert.match(welcome.data.user, /^guest-\d+$/);
  assert.ok(Number.isSafeInteger(welcome.data.id) && welcome.data.id > 0);
  assert.ok(welcome.data.users.includes(welcome.data.user));

  const bob = await enter(room);
  const bobWelcome = await bob.next();
  assert.equal(bobWelcome.event, 'welcome');
  assert.notEqual(bobWelcome.data.id, welcome.data.id);
  assert.ok(bobWelcome.data.users.includes(welcome.data.user), 'the newcomer sees who is online');
  const joined = await ada.next();
  assert.deepEqual(joined, { event: 'user_joined', data: { id: bobWelcome.data.id, user: bobWelcome.data.user } });

  say(ada, 'hi');
  const expected = { event: 'new_message', data: { user: welcome.data.user, text: 'hi' } };
  assert.deepEqual(await ada.next(), expected, 'the sender gets its own message too');
  assert.deepEqual(await bob.next(), expected);
  say(bob, 'héllo ✓');
  assert.deepEqual((await ada.next()).data, { user: bobWelcome.data.user, text: 'héllo ✓' });
  assert.deepEqual((await bob.next()).data, { user: bobWelcome.data.user, text: 'héllo ✓' });

  bob.close(1000);
  assert.equal((await bob.closed).code, 1000);
  assert.deepEqual(await ada.next(), { event: 'user_left', data: { id: bobWelcome.data.id, user: bobWelcome.data.user } });
  ada.close();
  await ada.closed;
});

test('a broadcast leaves the arrival out, and a departure reaches only those who stay', async () => {
  const one = await enter(room);
  await one.next();
  const two = await enter(room);
  await two.next();
  await one.next();  // two joined
  two.send(JSON.stringify({ type: 'ping' }));
  assert.deepEqual(await two.next(), { type: 'pong' }, 'nothing about its own arrival came before');
  two.terminate();  // no close handshake: the server notices the end of TCP
  assert.equal((await one.next()).event, 'user_left');
  one.close();
  await one.closed;
});

test('bad messages come back as error events and the connection stays', async () => {
  const ws = await enter(room);
  await ws.next();
  say(ws, '');
  const empty = await ws.next();
  assert.equal(empty.event, 'error');
  assert.equal(empty.data.event, 'chat_message');
  assert.equal(empty.data.error.kind, 'invalid_argument');
  assert.match(empty.data.error.message, /empty message/);
  ws.send(JSON.stringify({ event: 'chat_message', data: { text: 'wrong member' } }));
  const wrong = await ws.next();
  assert.equal(wrong.data.error.kind, 'invalid_argument');
  assert.match(wrong.data.error.message, /unknown member "text"/);
  assert.equal(wrong.data.error.where, 'params[0]');
  ws.send(JSON.stringify({ event: 'dance', data: {} }));
  const unknown = await ws.next();
  assert.equal(unknown.data.error.kind, 'not_found');
  assert.match(unknown.data.error.message, /no event named "dance"/);
  ws.send('not json at all');
  assert.equal((await ws.next()).data.error.kind, 'not_found');
  say(ws, 'still here');
  assert.equal((await ws.next()).data.text, 'still here');
  ws.send(Buffer.from([1, 2, 3]), { binary: true });
  const closed = await ws.closed;
  assert.equal(closed.code, 1003);
  assert.match(closed.reason, /takes no binary messages/);
});

test('a logged-in session brings its name into the room', async () => {
  const login = await fetch(`${base}/api/demo/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const ws = await enter(room, { headers: { cookie } });
  const welcome = await ws.next();
  assert.equal(welcome.data.user, 'Ada');
  say(ws, 'it is me');
  assert.deepEqual((await ws.next()).data, { user: 'Ada', text: 'it is me' });
  ws.close();
  await ws.closed;
});

test('a path without a WebSocket is refused (404)', async () => {
  const refused = await openSocket(room.replace('public_room', 'private_room')).then(
    () => assert.fail('upgraded'), (e) => e);
  assert.match(String(refused.message), /404/);
});

test('an SSE stream follows the room through the bus', async () => {
  const ws = await enter(room);
  await ws.next();
  const res = await fetch(`${base}/sse/chat/feed?count=1000`);
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const seen = () => (text.match(/"event":"new_message"/g) || []).length;
  // The stream subscribes when it starts, a moment after its head: say things until two arrive.
  const deadline = Date.now() + 20000;
  let said = 0;
  let pending = null;  // a read not yet answered is kept, not dropped: its chunk is still to come
  while (seen() < 2 && Date.now() < deadline) {
    say(ws, `line ${++said}`);
    pending ??= reader.read();
    const chunk = await Promise.race([pending, new Promise((r) => setTimeout(() => r(null), 200))]);
    if (!chunk) continue;
    pending = null;
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  assert.ok(seen() >= 2, text);
  assert.match(text, /data: \{"event":"new_message","data":\{"user":"guest-\d+","text":"line \d+"\}\}/);
  await reader.cancel();  // the client leaves; the stream notices and ends
  ws.close();
  await ws.closed;
});

// A connection that names sb_resume gets the room's messages wrapped with their ids; reconnecting
// with the last id it saw, it gets what it missed first, then what comes, each once.
// A handshake by hand (fetch will not send Upgrade): the whole answer, once the server closes.
function handshake(target) {
  return new Promise((resolve, reject) => {
    const socket = connect(new URL(base).port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk; });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  });
}
const resuming = (ids) => `${room}?sb_resume=${encodeURIComponent(JSON.stringify(ids))}`;
const texts = (messages) => messages.filter((m) => m.data?.event === 'new_message').map((m) => m.data.data.text);

test('a WebSocket that reconnects with sb_resume misses nothing of the room, once each', async () => {
  const first = await enter(resuming({}));
  assert.equal((await first.next()).event, 'welcome', 'what a handler sends the connection itself is not wrapped');
  const speaker = await enter(room);
  const speakerId = (await speaker.next()).data.id;
  const joined = await first.next();
  assert.equal(joined.type, 'delivery');
  assert.equal(joined.channel, 'public_room');
  assert.match(joined.id, /^\d+$/);
  assert.deepEqual(joined.data, { event: 'user_joined', data: { id: speakerId, user: `guest-${speakerId % 100000}` } });
  say(speaker, 'm1');
  say(speaker, 'm2');
  const seen = [await first.next(), await first.next()];
  assert.deepEqual(texts(seen), ['m1', 'm2']);
  assert.ok(Number(seen[0].id) < Number(seen[1].id));
  for (const text of ['m1', 'm2']) assert.deepEqual((await speaker.next()).data.text, text, 'others get messages as published');
  first.close();
  await first.closed;
  assert.equal((await speaker.next()).event, 'user_left');
  for (const text of ['m3', 'm4', 'm5']) say(speaker, text);
  for (const text of ['m3', 'm4', 'm5']) assert.equal((await speaker.next()).data.text, text);

  const back = await enter(resuming({ public_room: seen[1].id }));
  const backId = (await back.next()).data.id;
  const got = [];
  const resumed = await back.next();
  assert.deepEqual(resumed, { type: 'resumed', channel: 'public_room', complete: true });
  while (got.length < 4) got.push(await back.next());  // user_left, m3, m4, m5
  assert.deepEqual(got.map((m) => m.data.event), ['user_left', 'new_message', 'new_message', 'new_message']);
  say(speaker, 'm6');
  say(speaker, 'marker');  // anything repeated would come before it
  for (;;) {
    const m = await back.next();
    got.push(m);
    if (m.data?.data?.text === 'marker') break;
  }
  assert.deepEqual(texts(got), ['m3', 'm4', 'm5', 'm6', 'marker']);
  assert.ok(!got.some((m) => m.data.event === 'user_joined' && m.data.data.id === backId),
    'its own arrival went around it, in the history too');
  const ids = [seen[1].id, ...got.map((m) => m.id)].map(Number);
  for (let i = 1; i < ids.length; ++i) assert.ok(ids[i - 1] < ids[i], `ids increase: ${ids}`);
  back.close();
  speaker.close();
  await Promise.all([back.closed, speaker.closed]);
});

test('an id the room never gave resumes incompletely; a malformed sb_resume is refused (400)', async () => {
  const ws = await enter(resuming({ public_room: '99999999' }));
  await ws.next();  // welcome
  assert.deepEqual(await ws.next(), { type: 'resumed', channel: 'public_room', complete: false });
  ws.close();
  await ws.closed;
  for (const [query, why] of [['sb_resume=nonsense', /JSON object/], [`sb_resume=${encodeURIComponent('{"public_room":"yesterday"}')}`, /yesterday.*is not an id the bus gave/]]) {
    const answer = await handshake(`/ws/chat/public_room?${query}`);
    assert.match(answer, /^HTTP\/1\.1 400 /, query);
    assert.match(answer, why);
  }
});

test('a resume after 700 missed messages gets them all, a page at a time, in order', async () => {
  const speaker = await enter(room);
  await speaker.next();
  const first = await enter(resuming({}));
  await first.next();  // welcome
  assert.equal((await speaker.next()).event, 'user_joined');
  say(speaker, 'before');
  const last = await first.next();
  assert.equal(last.data.data.text, 'before');
  first.close();
  await first.closed;
  assert.equal((await speaker.next()).data.text, 'before');
  assert.equal((await speaker.next()).event, 'user_left');
  for (let i = 0; i < 700; ++i) say(speaker, `n${i}`);
  for (let i = 0; i < 700; ++i) assert.equal((await speaker.next()).data.text, `n${i}`);
  const back = await enter(resuming({ public_room: last.id }));
  await back.next();  // welcome
  assert.deepEqual(await back.next(), { type: 'resumed', channel: 'public_room', complete: true });
  say(speaker, 'marker');
  const got = [];
  for (;;) {
    const m = await back.next();
    if (m.data?.event !== 'new_message') continue;
    got.push(m.data.data.text);
    if (m.data.data.text === 'marker') break;
  }
  assert.deepEqual(got, [...Array.from({ length: 700 }, (_, i) => `n${i}`), 'marker']);
  back.close();
  speaker.close();
  await Promise.all([back.closed, speaker.closed]);
});
