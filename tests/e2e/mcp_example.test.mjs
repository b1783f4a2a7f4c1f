// examples/mcp_server as a desktop client runs it: started over stdio by the official MCP SDK, with
// a directory of its own as the root; then once over HTTP.
// usage: node --test mcp_example.test.mjs   (MCP_SERVER=path/to/mcp_server)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startShowcase, stopShowcase } from './showcase.mjs';

let root;
let client;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mcp-root-'));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'plan.txt'), 'first line\nthe secret word is switchboard\nlast line\n');
  writeFileSync(join(root, 'readme.md'), '# hello\nswitchboard again\n');
  client = new Client({ name: 'example-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.env.MCP_SERVER, args: ['--root', root], stderr: 'ignore' }));
});
after(async () => {
  await client.close();
  rmSync(root, { recursive: true, force: true });
});

const call = async (name, args) => {
  const result = await client.callTool({ name, arguments: args });
  return result;
};

test('the tools, their descriptions and the instructions', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(),
    ['clock.now', 'files.grep', 'files.list', 'files.read', 'notes.add', 'notes.list', 'notes.search']);
  for (const tool of tools) assert.ok(tool.description, `${tool.name} is described`);
  assert.match(client.getInstructions(), /never writes/);
  assert.equal(client.getServerVersion().name, 'switchboard-example');
});

test('notes: add, search, list (state kept between calls)', async () => {
  const added = await call('notes.add', { title: 'groceries', text: 'milk, bread' });
  assert.deepEqual(added.structuredContent, { id: 1, title: 'groceries', text: 'milk, bread' });
  await call('notes.add', { title: 'ideas', text: 'an MCP server in C++' });
  assert.deepEqual((await call('notes.search', { query: 'MCP' })).structuredContent.result.map((n) => n.id), [2]);
  assert.equal((await call('notes.list', {})).structuredContent.result.length, 2);
});

test('files: list and read inside the root, nothing outside it', async () => {
  const listing = (await call('files.list', {})).structuredContent.result;
  assert.deepEqual(listing.map((e) => [e.name, e.directory]), [['docs', true], ['readme.md', false]]);
  assert.deepEqual((await call('files.read', { path: 'docs/plan.txt', max_bytes: 10 })).structuredContent, { result: 'first line' });
  for (const path of ['../../etc/passwd', '/etc/passwd', 'docs/../../x']) {
    const refused = await call('files.read', { path });
    assert.equal(refused.isError, true, path);
    assert.match(refused.content[0].text, /forbidden|invalid_argument|not_found/, path);
  }
});

test('files.grep: every match, each sent as progress too', async () => {
  const seen = [];
  const result = await client.callTool({ name: 'files.grep', arguments: { text: 'switchboard' } }, undefined,
    { onprogress: (p) => seen.push(JSON.parse(p.message)) });
  const matches = result.structuredContent.result.map((m) => `${m.file}:${m.line}`).sort();
  assert.deepEqual(matches, ['docs/plan.txt:2', 'readme.md:2']);
  // The search ends at once, so the SDK may drop its progress (it handles notifications a microtask
  // after responses; mcp.test.mjs checks the wire): whatever came is one of the matches.
  for (const m of seen) assert.ok(matches.includes(`${m.file}:${m.line}`), JSON.stringify(m));
});

test('clock.now is an ISO time', async () => {
  assert.match((await call('clock.now', {})).structuredContent.result, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('over HTTP with --port', async () => {
  const { server, base } = await startShowcase(['--root', root], process.env.MCP_SERVER);
  try {
    const http = new Client({ name: 'example-test', version: '1.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    const { tools } = await http.listTools();
    assert.equal(tools.length, 7);
    assert.match((await http.callTool({ name: 'clock.now', arguments: {} })).structuredContent.result, /Z$/);
    await http.close();
  } finally {
    assert.equal(await stopShowcase(server), 0);
  }
});
