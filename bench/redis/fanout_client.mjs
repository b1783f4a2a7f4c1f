// Cross-instance broadcast, end to end, the same way for both servers: N subscribers connected to
// instance B, one publisher connected to instance A that sends chat messages carrying their send
// time; a message counts when the last subscriber has it.
//   node fanout_client.mjs sb|socketio A_PORT B_PORT SUBSCRIBERS MESSAGES RATE_PER_S
// RATE_PER_S 0: flat out (reports messages/s); otherwise paced (reports p50/p99 in µs).
import WebSocket from 'ws';
import { io } from 'socket.io-client';

const [kind, aPort, bPort, n, messages, rate] = process.argv.slice(2).map((v, i) => (i === 0 ? v : Number(v)));
const now = () => Number(process.hrtime.bigint() / 1000n);  // µs

// A connection in the room: onText(text) for each new_message; resolves once it is in.
async function member(port, onText) {
  if (kind === 'sb') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/chat/public_room`);
    await new Promise((resolve, reject) => {
      ws.on('message', (data) => {
        const m = JSON.parse(data);
        if (m.event === 'welcome') resolve();
        else if (m.event === 'new_message') onText(m.data.text);
      });
      ws.once('error', reject);
    });
    return { say: (text) => ws.send(JSON.stringify({ event: 'chat_message', data: { message: text } })), close: () => ws.close() };
  }
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
  socket.on('new_message', (m) => onText(m.text));
  await new Promise((resolve) => socket.emit('join', resolve));
  return { say: (text) => socket.emit('chat_message', { message: text }), close: () => socket.close() };
}

const arrivals = new Map();  // message index -> how many subscribers have it
let warmed = false;
const latencies = [];
let complete = 0;
let onComplete = () => {};
const subscribers = [];
for (let i = 0; i < n; ++i)
  subscribers.push(await member(bPort, (text) => {
    const [index, sent] = text.split(' ').map(Number);
    const count = (arrivals.get(index) || 0) + 1;
    if (count < n) return arrivals.set(index, count);
    arrivals.delete(index);
    if (index < 0) return (warmed = true);
    latencies.push(now() - sent);
    if (++complete === messages) onComplete();
  }));
const publisher = await member(aPort, () => {});
// The room is followed on B once probes said on A reach every subscriber (negative indexes, each
// its own): the cross-instance path is up.
const warmDeadline = Date.now() + 20000;
for (let probe = -1; !warmed; --probe) {
  if (Date.now() > warmDeadline) {
    console.log(JSON.stringify({ error: 'the room never reached instance B within 20 s' }));
    process.exit(1);
  }
  publisher.say(`${probe} ${now()}`);
  await new Promise((r) => setTimeout(r, 100));  // a paced probe, repeated until one arrives
}
const done = new Promise((r) => { onComplete = r; });
const start = now();
if (rate === 0) {
  for (let i = 0; i < messages; ++i) {
    publisher.say(`${i} ${now()}`);
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));  // let the socket write
  }
} else {
  for (let i = 0; i < messages; ++i) {
    publisher.say(`${i} ${now()}`);
    const due = start + ((i + 1) * 1e6) / rate;
    await new Promise((r) => setTimeout(r, Math.max(0, (due - now()) / 1000)));
  }
}
const timeout = setTimeout(() => { console.log(JSON.stringify({ error: `only ${complete} of ${messages} arrived` })); process.exit(1); }, 60000);
await done;
clearTimeout(timeout);
const seconds = (now() - start) / 1e6;
latencies.sort((x, y) => x - y);
console.log(JSON.stringify({
  kind, subscribers: n, messages, per_second: Math.round(messages / seconds),
  p50_us: latencies[Math.floor(latencies.length / 2)], p99_us: latencies[Math.floor(latencies.length * 0.99)],
}));
for (const s of [...subscribers, publisher]) s.close();
process.exit(0);
