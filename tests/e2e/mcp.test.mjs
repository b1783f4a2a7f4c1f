// The showcase as an MCP server, driven by the official TypeScript SDK (@modelcontextprotocol/sdk)
// over stdio (the binary with --stdio) and over Streamable HTTP at /mcp (the server SHOWCASE_FLAGS
// picks), with every schema checked by Ajv (JSON Schema 2020-12), then hostile HTTP requests.
// usage: node --test mcp.test.mjs   (SHOWCASE=path/to/showcase, SHOWCASE_FLAGS=--httplib optional)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import Ajv2020 from 'ajv/dist/2020.js';
import { startShowcase, stopShowcase, sleep } from './showcase.mjs';

const flags = (process.env.SHOWCASE_FLAGS || '').split(' ').filter(Boolean);

async function until(condition, what, ms = 10000) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function allTools(client) {
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

const structured = (result) => result.structuredContent;

function suite(name, connect) {
  describe(name, () => {
    let client;
    let tools;
    before(async () => {
      client = new Client({ name: 'switchboard-e2e', version: '1.0.0' });
      await connect(client);
      tools = await allTools(client);
    });
    after(async () => { await client.close(); });

    test('initialize names the server and the tools capability', () => {
      assert.equal(client.getServerVersion().name, 'switchboard');
      assert.ok(client.getServerCapabilities().tools);
    });

    test('tools/list: every visible endpoint under its real parameter names, with valid schemas', () => {
      const names = tools.map((t) => t.name);
      for (const expected of ['tools.add', 'tools.multiply', 'tools.toUpperCase', 'tools.toLowerCase',
        'tools.reverseArray', 'tools.getSystemInfo', 'tools.echo', 'greet.hello', 'progress.count'])
        assert.ok(names.includes(expected), `${expected} is listed`);
      assert.equal(new Set(names).size, names.length, 'no tool twice across pages');
      const add = tools.find((t) => t.name === 'tools.add');
      assert.equal(add.description, 'Adds two numbers');
      assert.deepEqual(add.inputSchema.required, ['a', 'b']);
      assert.equal(add.inputSchema.properties.a.type, 'number');
      assert.equal(add.inputSchema.properties.a.description, 'the first addend');
      assert.deepEqual(add.outputSchema.required, ['result']);
      const hello = tools.find((t) => t.name === 'greet.hello');
      assert.deepEqual(hello.inputSchema.required, ['name'], 'an optional parameter is not required');
      const info = tools.find((t) => t.name === 'tools.getSystemInfo');
      assert.ok(info.outputSchema.properties.cpuCount, 'an object result is the outputSchema itself');
      const ajv = new Ajv2020({ strict: false });
      for (const tool of tools) {
        assert.equal(tool.inputSchema.type, 'object', `${tool.name}: inputSchema is an object schema`);
        assert.doesNotThrow(() => ajv.compile(tool.inputSchema), `${tool.name}: inputSchema compiles`);
        if (tool.outputSchema) {
          assert.equal(tool.outputSchema.type, 'object', `${tool.name}: outputSchema is an object schema`);
          assert.doesNotThrow(() => ajv.compile(tool.outputSchema), `${tool.name}: outputSchema compiles`);
        }
      }
      tools.validate = (toolName, value) => {
        const tool = tools.find((t) => t.name === toolName);
        const check = ajv.compile(tool.outputSchema);
        assert.ok(check(value), `${toolName}: ${JSON.stringify(check.errors)}`);
      };
    });

    test('every tools command, greet.hello: results as structuredContent and as text', async () => {
      const call = async (toolName, args) => {
        const result = await client.callTool({ name: toolName, arguments: args });
        assert.ok(!result.isError, `${toolName}: ${JSON.stringify(result.content)}`);
        assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
        tools.validate(toolName, result.structuredContent);
        return structured(result);
      };
      assert.deepEqual(await call('tools.add', { a: 2, b: 3 }), { result: 5 });
      assert.deepEqual(await call('tools.multiply', { a: 4, b: 2.5 }), { result: 10 });
      assert.deepEqual(await call('tools.toUpperCase', { text: 'hello é' }), { result: 'HELLO É' });
      assert.deepEqual(await call('tools.toLowerCase', { text: 'HeLLo' }), { result: 'hello' });
      assert.deepEqual(await call('tools.reverseArray', { items: [1, 'two', { three: 3 }] }),
        { result: [{ three: 3 }, 'two', 1] });
      assert.deepEqual(await call('tools.echo', { value: { nested: [true, null] } }), { result: { nested: [true, null] } });
      const info = await call('tools.getSystemInfo', {});
      assert.equal(typeof info.os, 'string');
      assert.ok(info.cpuCount >= 1);
      assert.deepEqual(await call('greet.hello', { name: 'Ada' }), { result: 'Hello, Ada!' });
      assert.deepEqual(await call('greet.hello', { name: 'Ada', nickname: 'Countess' }), { result: 'Hello, Ada (Countess)!' });
    });

    test('a stream sends its values as progress, and its result is all of them', async () => {
      const progress = [];
      const result = await client.callTool({ name: 'progress.count', arguments: { n: 4, delay_ms: 200 } }, undefined,
        { onprogress: (p) => progress.push(p) });
      // The SDK hands notifications to their handlers a microtask later than responses, so those that
      // arrive in one read with the response are dropped on its side; 200 ms apart they come one by
      // one (the raw stdio test below sees every one of them, in order, before the response).
      assert.ok(progress.length >= 1, `progress: ${JSON.stringify(progress)}`);
      assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3, 4].slice(0, progress.length));
      assert.deepEqual(JSON.parse(progress[0].message), { step: 1, of: 4, percent: 25 });
      assert.equal(structured(result).result.length, 4);
      tools.validate('progress.count', structured(result));
      const quiet = await client.callTool({ name: 'progress.count', arguments: { n: 2, delay_ms: 1 } });
      assert.equal(structured(quiet).result.length, 2, 'without a progress token the values still come back');
    });

    test('cancellation stops the endpoint on the server', async () => {
      const streams = async () => structured(await client.callTool({ name: 'demo.streams', arguments: {} }));
      const before = await streams();
      const controller = new AbortController();
      let seen = 0;
      const call = client.callTool({ name: 'progress.count', arguments: { n: 10000, delay_ms: 20 } }, undefined, {
        signal: controller.signal,
        onprogress: () => { if (++seen === 2) controller.abort('enough'); },
      });
      await assert.rejects(call);
      await until(async () => {
        const now = await streams();
        return now.open === before.open && now.finished > before.finished;
      }, 'the cancelled stream to end on the server');
    });

    test('errors: bad arguments and failures are isError results, an unknown tool is -32602', async () => {
      const bad = await client.callTool({ name: 'tools.add', arguments: { a: 'x', b: 1 } });
      assert.equal(bad.isError, true);
      const body = JSON.parse(bad.content[0].text);
      assert.equal(body.error.kind, 'invalid_argument');
      assert.match(body.error.where, /"a"/);
      const missing = await client.callTool({ name: 'tools.add', arguments: { a: 1 } });
      assert.equal(missing.isError, true);
      const fails = await client.callTool({ name: 'demo.fails', arguments: {} });
      assert.equal(fails.isError, true);
      await assert.rejects(client.callTool({ name: 'no.such_tool', arguments: {} }),
        (e) => e instanceof McpError && e.code === -32602);
    });

    test('ping', async () => {
      assert.deepEqual(await client.ping(), {});
    });
  });
}

if (!flags.includes('--httplib')) {
  test('raw stdio: every progress notification, in order, before the response', async () => {
    const child = spawn(process.env.SHOWCASE, ['--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines = [];
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let at;
      while ((at = buffered.indexOf('\n')) >= 0) { lines.push(JSON.parse(buffered.slice(0, at))); buffered = buffered.slice(at + 1); }
    });
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 'c1', method: 'tools/call',
      params: { name: 'progress.count', arguments: { n: 5, delay_ms: 1 }, _meta: { progressToken: 'tok' } } }) + '\n');
    await until(() => lines.some((l) => l.id === 'c1'), 'the response');
    child.stdin.end();
    assert.deepEqual(lines.slice(0, 5).map((l) => [l.method, l.params.progressToken, l.params.progress]),
      [1, 2, 3, 4, 5].map((k) => ['notifications/progress', 'tok', k]));
    assert.equal(lines[5].result.structuredContent.result.length, 5);
    assert.equal(lines.length, 6);
  });

  suite('over stdio', async (client) => {
    await client.connect(new StdioClientTransport({ command: process.env.SHOWCASE, args: ['--stdio'], stderr: 'ignore' }));
  });
}

// The Inspector's CLI (@modelcontextprotocol/inspector-cli). It finds its own package.json relative
// to the working directory, so it runs from its build directory.
const inspectorDir = join(dirname(fileURLToPath(import.meta.url)), 'node_modules/@modelcontextprotocol/inspector-cli/build');
async function inspector(...args) {
  const { stdout } = await promisify(execFile)(process.execPath, ['cli.js', '--cli', ...args], { cwd: inspectorDir });
  return JSON.parse(stdout.slice(stdout.search(/^\{/m)));
}
async function inspectorChecks(target) {
  const { tools } = await inspector(...target, '--method', 'tools/list');
  assert.ok(tools.some((t) => t.name === 'tools.add'));
  const added = await inspector(...target, '--method', 'tools/call', '--tool-name', 'tools.add', '--tool-arg', 'a=2', '--tool-arg', 'b=3');
  assert.deepEqual(added.structuredContent, { result: 5 });
  const hello = await inspector(...target, '--method', 'tools/call', '--tool-name', 'greet.hello', '--tool-arg', 'name=Ada');
  assert.equal(hello.structuredContent.result, 'Hello, Ada!');
}

if (!flags.includes('--httplib')) {
  test('the Inspector CLI over stdio: tools/list and tools/call', async () => {
    await inspectorChecks([process.env.SHOWCASE, '--stdio']);
  });
}

let server;
let base;
before(async () => { ({ server, base } = await startShowcase(flags)); });

test('the Inspector CLI over HTTP: tools/list and tools/call', async () => {
  await inspectorChecks([`${base}/mcp`]);
});
after(async () => { assert.equal(await stopShowcase(server), 0); });

suite(`over Streamable HTTP (${flags.includes('--httplib') ? 'cpp-httplib' : 'sb::server'})`, async (client) => {
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
});

describe('hostile HTTP requests to /mcp', () => {
  const post = (body, headers = {}) => fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };

  test('a foreign Origin is 403; the server\'s own and none are served', async () => {
    assert.equal((await post(ping, { Origin: 'http://evil.example' })).status, 403);
    const own = await post(ping, { Origin: base });
    assert.equal(own.status, 200);
    assert.equal((await post(ping)).status, 200);
  });

  test('not JSON is a parse error, a batch or a non-message is 400, notifications are 202', async () => {
    const garbage = await post('{"jsonrpc":');
    assert.equal(garbage.status, 400);
    assert.equal((await garbage.json()).error.code, -32700);
    const batch = await post([ping, ping]);
    assert.equal(batch.status, 400);
    assert.equal((await batch.json()).error.code, -32600);
    assert.equal((await post({ jsonrpc: '2.0', id: 1, method: 42 })).status, 400);
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(note.status, 202);
    assert.equal(await note.text(), '');
    assert.equal((await post({ jsonrpc: '2.0', id: 5, result: {} })).status, 202, 'a response is taken and ignored');
  });

  test('unknown methods -32601, bad params -32602, an unknown version 400, an unknown session 404', async () => {
    assert.equal((await (await post({ jsonrpc: '2.0', id: 1, method: 'resources/list' })).json()).error.code, -32601);
    const bad = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { arguments: {} } });
    assert.equal((await bad.json()).error.code, -32602);
    assert.equal((await post(ping, { 'MCP-Protocol-Version': '1999-01-01' })).status, 400);
    assert.equal((await post(ping, { 'Mcp-Session-Id': 'not-a-session' })).status, 404);
  });

  test('initialize negotiates: a known version is echoed, an unknown one gets the latest', async () => {
    const init = (version) => post({ jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    const old = await init('2025-03-26');
    assert.ok(old.headers.get('mcp-session-id'));
    assert.equal((await old.json()).result.protocolVersion, '2025-03-26');
    assert.equal((await (await init('2099-01-01')).json()).result.protocolVersion, '2025-11-25');
  });

  test('a session ends with DELETE, after which it is 404', async () => {
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } });
    const session = init.headers.get('mcp-session-id');
    assert.equal((await post(ping, { 'Mcp-Session-Id': session })).status, 200);
    assert.equal((await fetch(`${base}/mcp`, { method: 'DELETE', headers: { 'Mcp-Session-Id': session } })).status, 204);
    assert.equal((await post(ping, { 'Mcp-Session-Id': session })).status, 404);
  });

  test('GET is 405 (no stream the server starts), other media types 415, a huge body 413', async () => {
    const get = await fetch(`${base}/mcp`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    assert.match(get.headers.get('allow'), /POST/);
    assert.equal((await post(JSON.stringify(ping), { 'Content-Type': 'text/plain' })).status, 415);
    const huge = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call',
      params: { name: 'tools.echo', arguments: { value: 'x'.repeat(2 << 20) } } });
    assert.equal(huge.status, 413);
  });

  test('the server still answers after all that', async () => {
    const r = await post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'tools.add', arguments: { a: 1, b: 1 } } });
    assert.deepEqual((await r.json()).result.structuredContent, { result: 2 });
  });
});
