// The showcase (SHOWCASE=path/to/showcase), or another example, on a free port for one test file:
// started once it answers, stopped with SIGTERM (its exit code returned).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import WebSocket from 'ws';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

export async function startShowcase(flags = [], program = process.env.SHOWCASE, fixedPort = 0) {
  const port = fixedPort || await freePort();
  const server = spawn(program, ['--port', String(port), ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr.resume();
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; ++i) {
    try { if ((await fetch(`${base}/api/_describe`)).ok) return { server, port, base }; } catch {}
    await sleep(50);
  }
  server.kill('SIGKILL');
  throw new Error('showcase did not start');
}

export function stopShowcase(server) {
  // Ended already (a crash): its exit code, or the signal's name, rather than a wait forever.
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve(server.exitCode ?? server.signalCode);
  const exited = new Promise((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  return exited;
}

// An open WebSocket whose messages are read in order with next() (a timeout on each; JSON parsed,
// binary as it came) and whose end is the promise `closed` ({code, reason}).
export async function openSocket(url, options = {}) {
  const { protocols, ...rest } = options;
  const ws = protocols ? new WebSocket(url, protocols, rest) : new WebSocket(url, rest);
  const queue = [];
  const waiting = [];
  ws.on('message', (data, binary) => {
    const message = binary ? data : JSON.parse(data.toString());
    if (waiting.length) waiting.shift()(message); else queue.push(message);
  });
  ws.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 20 s')), 20000);
    waiting.push((m) => { clearTimeout(timer); resolve(m); });
  });
  ws.pending = () => queue.length;
  return ws;
}
