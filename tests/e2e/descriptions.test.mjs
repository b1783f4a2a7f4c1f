// The showcase's generated descriptions checked by real tools: /api/_openapi.json by
// @apidevtools/swagger-parser and then exercised (a request made from its schemas for every route,
// each answer checked against what the document says of it); /api/_types.d.ts compiled with
// switchboard.d.ts under `tsc --strict` (typescript's compiler API), with wrong arguments, unknown
// methods and wrong result types failing to compile.
// usage: node --test descriptions.test.mjs   (SHOWCASE=path/to/showcase; sb::server, since the chat
// room that chat.feed follows is a WebSocket)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import ts from 'typescript';
import WebSocket from 'ws';
import { startShowcase, stopShowcase } from './showcase.mjs';

let server;
let base;
before(async () => { ({ server, base } = await startShowcase()); });
after(async () => { assert.equal(await stopShowcase(server), 0); });

// A value of `schema`: the smallest that satisfies it (minimum for numbers, one element where an
// array needs one). The showcase's parameters are all satisfiable this way.
function sample(schema, doc) {
  if (schema.$ref) return sample(doc.components.schemas[schema.$ref.split('/').pop()], doc);
  if (schema.anyOf) return sample(schema.anyOf[0], doc);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'number': case 'integer': return Math.max(1, schema.minimum ?? 1) === 1 ? 1 : schema.minimum;
    case 'string': return 'text';
    case 'boolean': return true;
    case 'null': return null;
    case 'array': return schema.prefixItems ? schema.prefixItems.map((s) => sample(s, doc)) : [];
    case 'object': {
      const out = {};
      for (const name of schema.required || []) out[name] = sample(schema.properties[name], doc);
      return out;
    }
    default: return 1;
  }
}

// A chat room member who says something every 20 ms until stopped.
async function chatter() {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/chat/public_room`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const timer = setInterval(() => ws.send(JSON.stringify({ event: 'chat_message', data: { message: 'hi' } })), 20);
  return { stop: () => { clearInterval(timer); ws.close(); } };
}

test('OpenAPI 3.1: valid, and every route answers as it says', async () => {
  const response = await fetch(`${base}/api/_openapi.json`);
  assert.equal(response.status, 200);
  const doc = await response.json();
  await SwaggerParser.validate(structuredClone(doc));  // throws on an invalid document
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.components.schemas['showcase.system_info'], 'components keep the names describe() gives');
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const validator = (schema) => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));

  let succeeded = 0;
  const failed = [];
  const routes = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const [method, op] of Object.entries(operations)) routes.push({ path, method, op });
  }
  assert.ok(routes.length >= 21, `${routes.length} operations`);
  for (const { path, method, op } of routes) {
    let url = `${base}${path}`;
    const init = { method: method.toUpperCase(), redirect: 'manual', headers: {} };
    if (op.parameters) {
      const query = new URLSearchParams();
      for (const p of op.parameters.filter((q) => q.required)) {
        const value = sample(p.schema || p.content['application/json'].schema, doc);
        query.set(p.name, typeof value === 'string' ? value : JSON.stringify(value));
      }
      url += `?${query}`;
    }
    if (op.requestBody) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(sample(op.requestBody.content['application/json'].schema, doc));
    }
    // chat.feed follows the chat room until `count` messages came: someone speaks while it waits.
    const speaker = path === '/api/chat/feed' ? await chatter() : null;
    const answer = await fetch(url, init);
    speaker?.stop();
    const status = String(answer.status);
    const documented = status in op.responses || (answer.status >= 300 && answer.status < 400 && op.responses['200']?.content['*/*']);
    assert.ok(documented, `${init.method} ${path}: ${status} is not in the document`);
    const described = op.responses[status]?.$ref
      ? doc.components.responses[op.responses[status].$ref.split('/').pop()] : op.responses[status];
    const schema = described?.content?.['application/json']?.schema;
    if (schema) {
      const check = validator(schema);
      const body = await answer.json();
      assert.ok(check(body), `${init.method} ${path} ${status}: ${JSON.stringify(check.errors)} in ${JSON.stringify(body)}`);
    } else {
      await answer.arrayBuffer();
    }
    if (answer.status < 400) ++succeeded;
    else failed.push(`${init.method} ${path} ${status}`);
  }
  // Only the showcase's deliberate failures fail: an error, a deadline and a login needed.
  const deliberate = ['/api/demo/fails 500', '/api/demo/slow 408', '/api/demo/whoami 401'];
  assert.deepEqual(failed.sort(), deliberate.flatMap((f) => [`GET ${f}`, `POST ${f}`]).sort(),
    `${succeeded} of ${routes.length} routes succeeded`);
  const add = await fetch(`${base}/api/tools/add?a=2&b=3`);
  assert.equal(await add.json(), 5);
});

test('TypeScript: the declarations compile under --strict and catch wrong calls', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-types-'));
  try {
    const types = await fetch(`${base}/api/_types.d.ts`);
    assert.equal(types.status, 200);
    writeFileSync(join(dir, 'api.d.ts'), await types.text());
    writeFileSync(join(dir, 'switchboard.d.ts'), await (await fetch(`${base}/_sb/switchboard.d.ts`)).text());
    const header = 'import type { Api } from "./api";\nimport { typed } from "./switchboard";\nconst api = typed<Api>();\n';
    const files = {
      good: `${header}
export async function run(): Promise<string> {
  const sum: number = await api.invoke("tools.add", { a: 2, b: 3 });
  const info = await api.invoke("tools.getSystemInfo", {});
  const upper: string = await api.invoke("tools.toUpperCase", { text: "x" });
  const hello: string = await api.invoke("greet.hello", { name: "Ada" });
  const handle = api.stream("progress.count", { n: 3 }, (step) => { const percent: number = step.percent; void percent; });
  await handle.result;
  return info.os + sum + upper + hello;
}
`,
      wrong_argument: `${header}export const r = api.invoke("tools.add", { a: "2", b: 3 });\n`,
      missing_argument: `${header}export const r = api.invoke("greet.hello", { nickname: "x" });\n`,
      unknown_method: `${header}export const r = api.invoke("tools.nope", {});\n`,
      wrong_result: `${header}export async function f() { const s: string = await api.invoke("tools.add", { a: 1, b: 2 }); return s; }\n`,
      wrong_stream_value: `${header}api.stream("progress.count", { n: 1 }, (step) => { const s: string = step.percent; void s; });\n`,
    };
    const options = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], skipLibCheck: false };
    // One program (the libraries are read once), its diagnostics told apart by file.
    const paths = Object.fromEntries(Object.keys(files).map((name) => [name, join(dir, `${name}.ts`)]));
    for (const [name, file] of Object.entries(paths)) writeFileSync(file, files[name]);
    const program = ts.createProgram(Object.values(paths), options);
    const diagnostics = (name) => ts.getPreEmitDiagnostics(program, program.getSourceFile(paths[name]))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(program.getGlobalDiagnostics(), []);
    for (const declarations of ['api.d.ts', 'switchboard.d.ts'])
      assert.deepEqual(ts.getPreEmitDiagnostics(program, program.getSourceFile(join(dir, declarations))), [], declarations);
    assert.deepEqual(diagnostics('good'), [], 'the generated declarations and a correct use compile');
    for (const name of Object.keys(files).filter((n) => n !== 'good'))
      assert.ok(diagnostics(name).length > 0, `${name} should not compile`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
