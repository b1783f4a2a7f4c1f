// MCP revision 2026-07-28 (stateless): the official v2 client (@modelcontextprotocol/client) pinned to
// it, over stdio and Streamable HTTP on sb::server; then raw requests for what the revision asks of
// a server (server/discover, per-request _meta, header checks, error codes).
// usage: node --test mcp_stateless.test.mjs   (SHOWCASE=path/to/showcase)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startShowcase, stopShowcase, sleep } from './showcase.mjs';

const pinned = { versionNegotiation: { mode: { pin: '2026-07-28' } } };

async function until(condition, what, ms = 10000) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function suite(name, transport) {
  describe(name, () => {
    let client;
    before(async () => {
      client = new Client({ name: 'switchboard-e2e', version: '1.0.0' }, pinned);
      await client.connect(transport());
    });
    after(async () => { await client.close(); });

    test('tools/list: schemas as they are, no wrapping', async () => {
      const { tools } = await client.listTools();
      const add = tools.find((t) => t.name === 'tools.add');
      assert.deepEqual(add.outputSchema, { type: 'number' });
      assert.deepEqual(add.inputSchema.required, ['a', 'b']);
      assert.ok(tools.find((t) => t.name === 'progress.count'));
    });

    test('tools/call: structuredContent is the value itself', async () => {
      const sum = await client.callTool({ name: 'tools.add', arguments: { a: 2, b: 3 } });
      assert.equal(sum.structuredContent, 5);
      assert.equal(sum.content[0].text, '5.0');
      const info = await client.callTool({ name: 'tools.getSystemInfo', arguments: {} });
      assert.ok(info.structuredContent.cpuCount >= 1);
      const bad = await client.callTool({ name: 'tools.add', arguments: { a: 'x', b: 3 } });
      assert.equal(bad.isError, true);
    });

    test('progress, then the values as the result', async () => {
      const seen = [];
      // 200 ms apart, so that the reader sees them one by one: the client drops notifications that
      // arrive together with their response (mcp.test.mjs's raw test sees every one on the wire).
      const result = await client.callTool({ name: 'progress.count', arguments: { n: 3, delay_ms: 200 } },
        { onprogress: (p) => seen.push(p.progress) });
      assert.equal(result.structuredContent.length, 3);
      assert.ok(seen.length >= 1, `progress ${JSON.stringify(seen)}`);
      assert.deepEqual(seen, [1, 2, 3].slice(0, seen.length));
    });

    test('cancellation ends the stream on the server', async () => {
      const streams = async () => (await client.callTool({ name: 'demo.streams', arguments: {} })).structuredContent;
      const before = await streams();
      const controller = new AbortController();
      let seen = 0;
      const call = client.callTool({ name: 'progress.count', arguments: { n: 10000, delay_ms: 20 } },
        { signal: controller.signal, onprogress: () => { if (++seen === 2) controller.abort('enough'); } });
      await assert.rejects(call);
      await until(async () => {
        const now = await streams();
        return now.open === before.open && now.finished > before.finished;
      }, 'the cancelled stream to end on the server');
    });
  });
}

suite('2026-07-28 over stdio', () => new StdioClientTransport({ command: process.env.SHOWCASE, args: ['--stdio'], stderr: 'ignore' }));

let server;
let base;
before(async () => { ({ server, base } = await startShowcase()); });
after(async () => { assert.equal(await stopShowcase(server), 0); });

suite('2026-07-28 over Streamable HTTP', () => new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));

describe('2026-07-28 raw', () => {
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const post = (method, params, headers) => fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method, ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });

  test('server/discover: versions, capabilities, freshness, server info; no session', async () => {
    const r = await post('server/discover', { _meta: meta });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('mcp-session-id'), null);
    const { result } = await r.json();
    assert.deepEqual(result.supportedVersions.slice(0, 2), ['2026-07-28', '2025-11-25']);
    assert.equal(result.resultType, 'complete');
    assert.equal(result.cacheScope, 'public');
    assert.ok(Number.isInteger(result.ttlMs) && result.ttlMs >= 0);
    assert.equal(result._meta['io.modelcontextprotocol/serverInfo'].name, 'switchboard');
    assert.ok(result.capabilities.tools);
  });

  test('headers must repeat the body: version, method, tool name (base64 too)', async () => {
    const call = { name: 'tools.add', arguments: { a: 1, b: 2 }, _meta: meta };
    const ok = await post('tools/call', call, { 'Mcp-Name': 'tools.add' });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).result.structuredContent, 3);
    const encoded = `=?base64?${Buffer.from('tools.add').toString('base64')}?=`;
    assert.equal((await post('tools/call', call, { 'Mcp-Name': encoded })).status, 200);
    for (const headers of [{ 'Mcp-Name': 'tools.multiply' }, { 'Mcp-Name': 'tools.add', 'Mcp-Method': 'tools/list' }, {}]) {
      const r = await post('tools/call', call, headers);
      assert.equal(r.status, 400, JSON.stringify(headers));
      assert.equal((await r.json()).error.code, -32020);
    }
    const noMethod = await fetch(`${base}/mcp`, { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'MCP-Protocol-Version': '2026-07-28' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } }) });
    assert.equal(noMethod.status, 400);
  });

  test('an unsupported version is -32022 with the supported ones; missing capabilities -32602; unknown methods 404', async () => {
    const old = await post('tools/list', { _meta: { ...meta, 'io.modelcontextprotocol/protocolVersion': '2026-01-01' } },
      { 'MCP-Protocol-Version': '2026-07-28' });
    assert.equal(old.status, 400);
    assert.equal((await old.json()).error.code, -32020, 'the header says another version than _meta');
    const unsupported = await fetch(`${base}/mcp`, { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Mcp-Method': 'tools/list', 'MCP-Protocol-Version': '2026-01-01' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list',
        params: { _meta: { ...meta, 'io.modelcontextprotocol/protocolVersion': '2026-01-01' } } }) });
    assert.equal(unsupported.status, 400);
    const error = (await unsupported.json()).error;
    assert.equal(error.code, -32022);
    assert.equal(error.data.requested, '2026-01-01');
    assert.ok(error.data.supported.includes('2026-07-28'));
    const noCapabilities = await post('tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } });
    assert.equal(noCapabilities.status, 400);
    assert.equal((await noCapabilities.json()).error.code, -32602);
    const unknown = await post('resources/list', { _meta: meta });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, -32601);
    const sessionIgnored = await post('tools/list', { _meta: meta }, { 'Mcp-Session-Id': 'whatever' });
    assert.equal(sessionIgnored.status, 200);
  });
});
