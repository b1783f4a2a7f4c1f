// Three showcase instances sharing one redis-server (started here, on a free port): the chat room and
// its SSE feed span them, Redis killed and restarted mid-run changes nothing once it is back, and
// what other clients publish on the bus's channels harms nobody.
// Last, the same through nginx with examples/cluster/nginx.conf.
// usage: node --test cluster.test.mjs   (SHOWCASE=path/to/showcase, REDIS_SERVER=redis-server,
//        NGINX=nginx, CLUSTER_CONF=examples/cluster/nginx.conf)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { openSocket, startShowcase, stopShowcase, sleep } from './showcase.mjs';

let redis;
let redisPort;
const instances = [];

// One RESP command on a connection of its own; the reply once `complete` says it is whole.
function redisCommand(args, complete = (reply) => reply.endsWith('\r\n')) {
  return new Promise((resolve, reject) => {
    const socket = connect(redisPort, '127.0.0.1');
    let reply = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk;
      if (complete(reply)) { socket.destroy(); resolve(reply); }
    });
    socket.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
  });
}
// How many instances follow the chat room: each has one subscribing connection to Redis, so Redis's
// count is exact, and once it counts an instance, what is published reaches that instance.
async function roomFollowers() {
  const reply = await redisCommand(['PUBSUB', 'NUMSUB', 'showcase:public_room'], (r) => /:\d+\r\n$/.test(r));
  return Number(reply.match(/:(\d+)\r\n$/)[1]);
}
const followedBy = (n) => until(`the room is followed by ${n} instances`, async () => (await roomFollowers()) === n);

async function until(what, condition, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

async function startRedis() {
  redis = spawn(process.env.REDIS_SERVER || 'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await until('redis-server answers', async () => (await redisCommand(['PING']).catch(() => '')) === '+PONG\r\n');
}
function killRedis() {
  const exited = new Promise((r) => redis.once('exit', r));
  redis.kill('SIGKILL');
  return exited;
}

const health = async (instance) => (await fetch(`${instance.base}/api/_health`)).json();

before(async () => {
  redisPort = 20000 + Math.floor(Math.random() * 12000);  // below the ephemeral range: see redis_server.hpp
  await startRedis();
  for (let i = 0; i < 3; ++i)
    instances.push(await startShowcase(['--redis', `redis://127.0.0.1:${redisPort}`]));
  for (const instance of instances)
    await until('connected to Redis', async () => (await health(instance)).status === 'ok');
});

after(async () => {
  for (const { server } of instances) assert.equal(await stopShowcase(server), 0, 'each instance exits 0 on SIGTERM');
  await killRedis();
});

const room = (instance) => `ws://127.0.0.1:${instance.port}/ws/chat/public_room`;
const say = (ws, message) => ws.send(JSON.stringify({ event: 'chat_message', data: { message } }));
// Joins the room on `instance`, then waits until `followers` instances follow it.
async function join(instance, followers) {
  const ws = await openSocket(room(instance));
  ws.welcome = await ws.next();
  assert.equal(ws.welcome.event, 'welcome');
  await followedBy(followers);
  return ws;
}

test('/api/_health says which bus and how it is', async () => {
  const h = await health(instances[0]);
  assert.equal(h.status, 'ok');
  assert.equal(h.bus.kind, 'redis');
  assert.equal(h.bus.connected, true);
  assert.equal(h.bus.last_error, '');
  assert.deepEqual(h.sessions, { kind: 'redis', connected: true, error: '' }, 'the shared session store answers');
});

test('people on three instances chat with each other', async () => {
  await followedBy(0);
  const [ada, bob, cy] = [await join(instances[0], 1), await join(instances[1], 2), await join(instances[2], 3)];
  // Arrivals reach the instances already in the room.
  assert.deepEqual(await ada.next(), { event: 'user_joined', data: { id: bob.welcome.data.id, user: bob.welcome.data.user } });
  assert.equal((await ada.next()).data.id, cy.welcome.data.id);
  assert.equal((await bob.next()).data.id, cy.welcome.data.id);
  const ids = new Set([ada, bob, cy].map((p) => p.welcome.data.id));
  assert.equal(ids.size, 3, 'connection ids are unique across the instances');

  say(ada, 'hello from one');
  for (const p of [ada, bob, cy]) assert.deepEqual((await p.next()).data, { user: ada.welcome.data.user, text: 'hello from one' });
  say(cy, 'and from three ✓');
  for (const p of [ada, bob, cy]) assert.deepEqual((await p.next()).data, { user: cy.welcome.data.user, text: 'and from three ✓' });

  bob.close(1000);
  await bob.closed;
  for (const p of [ada, cy]) assert.deepEqual(await p.next(), { event: 'user_left', data: { id: bob.welcome.data.id, user: bob.welcome.data.user } });
  ada.close();
  cy.close();
  await Promise.all([ada.closed, cy.closed]);
});

test('an SSE feed on one instance follows the room spoken in on another', async () => {
  await followedBy(0);
  const speaker = await join(instances[0], 1);
  const feed = await fetch(`${instances[2].base}/sse/chat/feed?count=2`);
  assert.equal(feed.status, 200);
  const reader = feed.body.pipeThrough(new TextDecoderStream()).getReader();
  await followedBy(2);
  say(speaker, 'one');
  say(speaker, 'two');
  let text = '';
  while (!text.includes('event: end')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const said = [...text.matchAll(/^data: (\{"event":"new_message".*)$/gm)].map((m) => JSON.parse(m[1]).data.text);
  assert.deepEqual(said, ['one', 'two']);
  speaker.close();
  await speaker.closed;
});

// Reads an SSE response to its end: [{id, data}] of the events with data, the final one left out.
async function readEvents(response) {
  const text = await response.text();
  return text.split('\n\n').filter((block) => /^data: \{"event"/m.test(block)).map((block) => ({
    id: block.match(/^id: (.*)$/m)?.[1],
    data: JSON.parse(block.match(/^data: (.*)$/m)[1]).data,
  }));
}

test('an SSE client that reconnects to another instance resumes after its Last-Event-ID', async () => {
  await followedBy(0);
  const speaker = await join(instances[0], 1);
  const firstVisit = fetch(`${instances[2].base}/sse/chat/feed?count=2`);
  await followedBy(2);
  say(speaker, 'm1');
  say(speaker, 'm2');
  const seen = await readEvents(await firstVisit);
  assert.deepEqual(seen.map((e) => e.data.text), ['m1', 'm2']);
  assert.match(seen[1].id, /^\d+-\d+$/, 'the id is the Redis stream\'s');
  await followedBy(1);  // the feed has ended: its instance follows the room no more
  // Away: three more are said; then back, through another instance, as EventSource would.
  for (const text of ['m3', 'm4', 'm5']) say(speaker, text);
  for (const text of ['m1', 'm2', 'm3', 'm4', 'm5']) assert.equal((await speaker.next()).data.text, text);
  const back = await fetch(`${instances[1].base}/sse/chat/feed?count=4`, { headers: { 'Last-Event-ID': seen[1].id } });
  await followedBy(2);
  say(speaker, 'm6');
  const resumed = await readEvents(back);
  assert.deepEqual(resumed.map((e) => e.data.text), ['m3', 'm4', 'm5', 'm6'], 'what it missed, in order, once, then what came');
  const ids = [seen[1].id, ...resumed.map((e) => e.id)];
  for (let i = 1; i < ids.length; ++i) {
    const [a, b] = [ids[i - 1], ids[i]].map((id) => id.split('-').map(BigInt));
    assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `ids increase: ${ids}`);
  }
  speaker.close();
  await speaker.closed;
});

test('a WebSocket client that reconnects to another instance resumes with its sb_resume ids', async () => {
  await followedBy(0);
  const speaker = await join(instances[0], 1);
  const resuming = (instance, ids) => `${room(instance)}?sb_resume=${encodeURIComponent(JSON.stringify(ids))}`;
  const first = await openSocket(resuming(instances[2], {}));
  assert.equal((await first.next()).event, 'welcome');
  await followedBy(2);
  assert.equal((await speaker.next()).event, 'user_joined');
  say(speaker, 'm1');
  say(speaker, 'm2');
  const seen = [await first.next(), await first.next()];
  assert.deepEqual(seen.map((m) => [m.type, m.channel, m.data.data.text]), [['delivery', 'public_room', 'm1'], ['delivery', 'public_room', 'm2']]);
  assert.match(seen[1].id, /^\d+-\d+$/, 'the id is the Redis stream\'s');
  first.close();
  await first.closed;
  await followedBy(1);
  for (const text of ['m3', 'm4', 'm5']) say(speaker, text);
  for (const text of ['m1', 'm2']) assert.equal((await speaker.next()).data.text, text);
  assert.equal((await speaker.next()).event, 'user_left');
  for (const text of ['m3', 'm4', 'm5']) assert.equal((await speaker.next()).data.text, text);

  const back = await openSocket(resuming(instances[1], { public_room: seen[1].id }));
  const backId = (await back.next()).data.id;
  assert.deepEqual(await back.next(), { type: 'resumed', channel: 'public_room', complete: true });
  await followedBy(2);
  say(speaker, 'm6');
  say(speaker, 'marker');  // anything repeated would come before it
  const got = [];
  for (;;) {
    const m = await back.next();
    got.push(m);
    if (m.data?.data?.text === 'marker') break;
  }
  const said = got.filter((m) => m.data.event === 'new_message').map((m) => m.data.data.text);
  assert.deepEqual(said, ['m3', 'm4', 'm5', 'm6', 'marker'], 'what it missed, in order, once, then what came');
  assert.ok(!got.some((m) => m.data.event === 'user_joined' && m.data.data.id === backId), 'its own arrival went around it');
  const ids = [seen[1].id, ...got.map((m) => m.id)];
  for (let i = 1; i < ids.length; ++i) {
    const [a, b] = [ids[i - 1], ids[i]].map((id) => id.split('-').map(BigInt));
    assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `ids increase: ${ids}`);
  }
  back.close();
  speaker.close();
  await Promise.all([back.closed, speaker.closed]);
});

test('a login on one instance is known on every other (sessions in Redis)', async () => {
  const login = async (instance, name, cookie) => {
    const res = await fetch(`${instance.base}/api/demo/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify({ name }),
    });
    assert.equal(res.status, 200);
    return res.headers.get('set-cookie').split(';')[0];
  };
  const whoami = async (instance, cookie) => {
    const res = await fetch(`${instance.base}/api/demo/whoami`, { headers: { cookie } });
    return res.status === 200 ? res.json() : res.status;
  };
  const ada = await login(instances[0], 'Ada');
  assert.equal(await whoami(instances[1], ada), 'Ada');
  assert.equal(await whoami(instances[2], ada), 'Ada');
  const ws = await openSocket(room(instances[2]), { headers: { cookie: ada } });
  assert.equal((await ws.next()).data.user, 'Ada', 'the WebSocket handshake finds the session too');
  ws.close();
  await ws.closed;
  // Logging in again moves the session to a new id: the old one is gone on every instance.
  const bea = await login(instances[1], 'Bea', ada);
  assert.notEqual(bea, ada);
  assert.equal(await whoami(instances[2], bea), 'Bea');
  assert.equal(await whoami(instances[0], ada), 401);
  assert.equal(await whoami(instances[0], 'sb_session=forged'), 401);
});

test('Redis killed mid-run: each instance goes on alone, then the room spans them again', async () => {
  await followedBy(0);
  const ada = await join(instances[0], 1);
  const bob = await join(instances[1], 2);
  await ada.next();  // bob joined
  const local = await join(instances[0], 2);
  await ada.next();  // local joined

  await killRedis();
  await until('every instance sees Redis gone', async () => (await Promise.all(instances.map(health))).every((h) => h.status === 'degraded'));
  const h = await health(instances[0]);
  assert.equal(h.bus.connected, false);
  assert.notEqual(h.bus.last_error, '', 'it says what failed');
  assert.equal(h.sessions.connected, false);
  assert.match(h.sessions.error, /cannot connect/);
  say(local, 'while Redis is down');
  assert.equal((await local.next()).data.text, 'while Redis is down', 'local delivery goes on');
  assert.equal((await ada.next()).data.text, 'while Redis is down');

  await startRedis();
  await until('every instance is back', async () => (await Promise.all(instances.map(health))).every((x) => x.status === 'ok'));
  await followedBy(2);  // the subscriptions are restored
  // What was published on instance one while Redis was down waited and went out when it came back
  // (at most once: bob may or may not have been subscribed again by then); now a fresh message:
  say(bob, 'after the outage');
  const heard = async (p) => { for (;;) { const m = await p.next(); if (m.data?.text === 'after the outage') return m; } };
  for (const p of [ada, local, bob]) assert.equal((await heard(p)).data.user, bob.welcome.data.user);
  for (const p of [ada, bob, local]) p.close();
  await Promise.all([ada.closed, bob.closed, local.closed]);
});

test("what others publish on the bus's channels harms nobody", async () => {
  await followedBy(0);
  const ada = await join(instances[0], 1);
  for (const junk of ['', 'no envelope', 'x notanumber\n{}', 'x 1', '\n\n', 'x 0\n{"event":"new_message","data":{"user":"intruder","text":"t"}}'])
    await redisCommand(['PUBLISH', 'showcase:public_room', junk]);
  // The well-formed one is delivered as any instance's message would be (Redis is trusted); the rest is dropped.
  assert.equal((await ada.next()).data.user, 'intruder');
  say(ada, 'still here');
  assert.equal((await ada.next()).data.text, 'still here');
  for (const instance of instances) assert.equal((await health(instance)).status, 'ok');
  ada.close();
  await ada.closed;
});

// nginx with examples/cluster/nginx.conf, its ports moved to the test's.
async function startNginx() {
  const port = 20000 + Math.floor(Math.random() * 12000);
  const prefix = mkdtempSync(joinPath(tmpdir(), 'sb-cluster-'));
  mkdirSync(joinPath(prefix, 'tmp'));
  let conf = readFileSync(process.env.CLUSTER_CONF, 'utf8').replace('127.0.0.1:8080', `127.0.0.1:${port}`);
  instances.forEach((instance, i) => { conf = conf.replace(`127.0.0.1:${8081 + i}`, `127.0.0.1:${instance.port}`); });
  writeFileSync(joinPath(prefix, 'nginx.conf'), conf);
  const nginx = spawn(process.env.NGINX || 'nginx', ['-p', prefix, '-c', joinPath(prefix, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const front = { base: `http://127.0.0.1:${port}`, port };
  front.stop = async () => {
    nginx.kill('SIGTERM');
    await new Promise((r) => nginx.once('exit', r));
    rmSync(prefix, { recursive: true, force: true });
  };
  await until('nginx answers', async () => (await fetch(`${front.base}/api/_health`).catch(() => null))?.ok);
  return front;
}

test('through nginx (examples/cluster/nginx.conf): WebSocket, SSE and HTTP reach every instance', async () => {
  const front = await startNginx();
  try {
    const add = await (await fetch(`${front.base}/api/tools/add?a=2&b=3`)).json();
    assert.equal(add, 5);

    await followedBy(0);
    const people = [];
    for (let i = 0; i < 3; ++i) {
      const ws = await openSocket(room(front));
      ws.welcome = await ws.next();
      people.push(ws);
    }
    // A connection id carries its process's tag in the bits above 32: round robin spread them.
    const tags = new Set(people.map((p) => Math.floor(p.welcome.data.id / 2 ** 32)));
    assert.ok(tags.size >= 2, `the three connections went to ${tags.size} instance(s)`);
    await followedBy(tags.size);

    // The feed's instance may or may not be one the people are on: until it follows the room, what
    // is said misses it, so the message is said again until the feed has it.
    const feed = await fetch(`${front.base}/sse/chat/feed?count=1`);
    const reader = feed.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    let pending = reader.read();
    const deadline = Date.now() + 20000;
    while (!text.includes('event: end')) {
      assert.ok(Date.now() < deadline, 'the SSE feed through nginx heard the room within 20 s');
      say(people[0], 'through nginx');
      const got = await Promise.race([pending, sleep(200).then(() => null)]);
      if (!got) continue;
      if (got.done) break;
      text += got.value;
      pending = reader.read();
    }
    for (const p of people) {
      for (;;) { const m = await p.next(); if (m.event === 'new_message') { assert.equal(m.data.text, 'through nginx'); break; } }
    }
    assert.match(text, /"text":"through nginx"/);
    for (const p of people) p.close();
    await Promise.all(people.map((p) => p.closed));
  } finally {
    await front.stop();
  }
});

// The client module as nginx serves it, imported into this process.
async function clientModule(front) {
  const file = joinPath(tmpdir(), `switchboard-${process.pid}.mjs`);
  writeFileSync(file, await (await fetch(`${front.base}/_sb/switchboard.js`)).text());
  return import(pathToFileURL(file).href);
}

// A switchboard.js follower of the room, through nginx; the instance serving it is killed while the
// room goes on, then comes back on its port (for the tests after and the clean stop). Returns what
// the follower heard, up to a marker said after everything else: anything repeated would come
// before it. `follow(sb, base)` starts the follower: {heard, stop, ...}.
async function followThroughAKill(follow) {
  const front = await startNginx();
  let follower = null;
  let speaker = null;
  try {
    const sb = await clientModule(front);
    await followedBy(0);
    await until('no instance follows anything', async () => (await Promise.all(instances.map(health))).every((h) => h.bus.channels === 0));
    follower = follow(sb, front.base);
    // Redis counts a subscription before the instance has read its confirmation: wait for both.
    await followedBy(1);
    const at = await until('an instance says it follows the room', async () => {
      const index = (await Promise.all(instances.map(health))).findIndex((h) => h.bus.channels > 0);
      return index >= 0 ? { index } : null;
    }).then((found) => found.index);
    speaker = await join(instances[(at + 1) % instances.length], 2);
    say(speaker, 'm1');
    say(speaker, 'm2');
    await until('the follower has two', () => follower.heard.length === 2);
    follower.checkBeforeTheKill?.();

    const victim = instances[at];
    const gone = new Promise((r) => victim.server.once('exit', r));
    victim.server.kill('SIGKILL');
    await gone;
    for (const text of ['m3', 'm4', 'm5', 'm6']) say(speaker, text);
    await until('the follower is back with all six', () => follower.heard.length >= 6, 30000);
    say(speaker, 'marker');
    await until('the marker', () => follower.heard.includes('marker'));
    instances[at] = await startShowcase(['--redis', `redis://127.0.0.1:${redisPort}`], process.env.SHOWCASE, victim.port);
    await until('the new instance is connected', async () => (await health(instances[at])).status === 'ok');
    return follower;
  } finally {
    follower?.stop();
    if (speaker) {
      speaker.close();
      await speaker.closed;
    }
    await front.stop();
  }
}

test('an instance killed: its switchboard.js WebSocket with resume comes back through nginx to another and misses nothing', async () => {
  const follower = await followThroughAKill((sb, base) => {
    const client = new sb.Client({ url: base, WebSocket, websocket: false });
    const connection = client.connect('/ws/chat/public_room', {}, { resume: true, reconnect: { initialDelay: 50, maxDelay: 500 } });
    const f = { heard: [], resumes: [], stop: () => connection.disconnect() };
    connection.on('ws:event:new_message', (m) => f.heard.push(m.text));
    connection.on('ws:resumed', (r) => f.resumes.push(r));
    f.checkBeforeTheKill = () => assert.match(connection.resumeIds.public_room, /^\d+-\d+$/);
    return f;
  });
  assert.deepEqual(follower.heard, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'marker'], 'in order, once each');
  assert.deepEqual(follower.resumes, [{ channel: 'public_room', complete: true }]);
});

test('an instance killed: its switchboard.js SSE client comes back through nginx to another and misses nothing', async () => {
  const follower = await followThroughAKill((sb, base) => {
    // No WebSocket given: with resume, streams go over SSE anyway.
    const client = new sb.Client({ url: base, EventSource });
    const heard = [];
    const feed = client.stream('chat.feed', { count: 100 }, (v) => { if (v.event === 'new_message') heard.push(v.data.text); }, { resume: true });
    feed.result.catch(() => {});
    return { heard, stop: () => feed.stop() };
  });
  assert.deepEqual(follower.heard, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'marker'], 'in order, once each');
});
