// The showcase page and the API explorer in Debian's Chromium, driven by playwright-core (never a
// downloaded browser). Screenshots go to SCREENSHOTS (default ./screenshots).
// usage: node --test browser.test.mjs   (SHOWCASE=path/to/showcase; CHROMIUM=/usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startShowcase, stopShowcase } from './showcase.mjs';

const shots = process.env.SCREENSHOTS || 'screenshots';
mkdirSync(shots, { recursive: true });
let browser;
let server;
let base;

before(async () => {
  ({ server, base } = await startShowcase());
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
           '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  assert.equal(await stopShowcase(server), 0);
});

// A page of the showcase whose console errors fail the test that opened it.
async function open(url, viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  return page;
}
const output = (page, method) => page.locator(`form[data-method="${method}"] output`);
async function run(page, method, fields = {}) {
  const form = page.locator(`form[data-method="${method}"]`);
  for (const [name, value] of Object.entries(fields)) await form.locator(`[name="${name}"]`).fill(value);
  await form.locator('button').click();
}

test('every tools command and greet.hello round-trip from the page, over the WebSocket', async () => {
  const page = await open(base + '/');
  await page.locator('#transport[data-state="websocket"]').waitFor();
  const expectations = [
    ['tools.add', { a: '2', b: '3' }, '5'],
    ['tools.multiply', { a: '6', b: '7' }, '42'],
    ['tools.toUpperCase', { text: 'shout' }, 'SHOUT'],
    ['tools.toLowerCase', { text: 'QUIET' }, 'quiet'],
    ['tools.reverseArray', { items: '[1, "two", 3]' }, '[3,"two",1]'],
    ['tools.echo', { value: '{"k": [true, null]}' }, '"k"'],
    ['tools.getSystemInfo', {}, '"frameworkVersion"'],
    ['greet.hello', { name: 'Ada', nickname: 'Countess' }, 'Hello, Ada (Countess)!'],
  ];
  for (const [method, fields, expected] of expectations) {
    await run(page, method, fields);
    await assert.doesNotReject(output(page, method).filter({ hasText: expected }).waitFor({ timeout: 10000 }),
                               `${method} shows ${expected}`);
  }
  await run(page, 'greet.hello', { name: 'Grace', nickname: '' });
  await output(page, 'greet.hello').filter({ hasText: 'Hello, Grace!' }).waitFor();
  await page.screenshot({ path: join(shots, 'tools.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a server error surfaces in the page with its kind, message and where", async () => {
  const page = await open(base + '/');
  await run(page, 'tools.reverseArray', { items: '{"not": "an array"}' });
  const shown = output(page, 'tools.reverseArray');
  await shown.filter({ hasText: 'invalid_argument' }).waitFor();
  assert.match(await shown.textContent(), /items/);
  assert.equal(await shown.getAttribute('class'), 'error');
  await page.screenshot({ path: join(shots, 'error.png') });
  await page.context().close();
});

test('the timeout fires against a deliberately slow endpoint, in the page', async () => {
  const page = await open(base + '/');
  const outcome = await page.evaluate(async () => {
    const { invoke } = await import('/_sb/switchboard.js');
    try {
      await invoke('demo.slow', [], { timeout: 50 });
      return 'answered';
    } catch (e) {
      return `${e.kind}: ${e.message}`;
    }
  });
  assert.match(outcome, /^timeout: demo\.slow did not answer within 50 ms/);
  await page.context().close();
});

test('the progress bar reaches 100% on a phone-sized page', async () => {
  const page = await open(base + '/', { width: 390, height: 844 });
  await page.locator('#progress-form [name="n"]').fill('10');
  await page.locator('#progress-form [name="delay_ms"]').fill('30');
  await page.locator('#progress-start').click();
  await page.locator('#progress-text').filter({ hasText: 'done' }).waitFor({ timeout: 15000 });
  assert.equal(await page.locator('#progress-bar').evaluate((bar) => bar.value), 100);
  assert.match(await page.locator('#progress-text').textContent(), /step 10 of 10 · 100%/);
  await page.screenshot({ path: join(shots, 'progress-phone.png'), fullPage: true });
  await page.context().close();
});

test('two pages chat with each other: join, message, leave', async () => {
  const ada = await open(base + '/');
  const bob = await open(base + '/');
  await ada.locator('#chat-name').fill('Ada');
  await ada.locator('#chat-join-button').click();
  await ada.locator('#chat-log').filter({ hasText: 'you are Ada' }).waitFor();
  await bob.locator('#chat-name').fill('Bob');
  await bob.locator('#chat-join-button').click();
  await bob.locator('#chat-log').filter({ hasText: 'you are Bob' }).waitFor();
  await ada.locator('#chat-log').filter({ hasText: 'Bob joined' }).waitFor();
  await ada.locator('#chat-online li', { hasText: 'Bob' }).waitFor();
  await bob.locator('#chat-message').fill('hello from Bob');
  await bob.locator('#chat-send-button').click();
  await ada.locator('#chat-log li.message', { hasText: 'hello from Bob' }).waitFor();
  assert.equal(await ada.locator('#chat-log li.message .who').last().textContent(), 'Bob');
  await bob.locator('#chat-log li.message', { hasText: 'hello from Bob' }).waitFor();
  await ada.screenshot({ path: join(shots, 'chat.png'), fullPage: true });
  await bob.locator('#chat-leave').click();
  await ada.locator('#chat-log').filter({ hasText: 'Bob left' }).waitFor();
  assert.equal(await ada.locator('#chat-online li', { hasText: 'Bob' }).count(), 0);
  assert.deepEqual([...ada.errors, ...bob.errors], []);
  await ada.context().close();
  await bob.context().close();
});

test('the client reconnects after the server restarts, and calls work again', async () => {
  const own = await startShowcase();
  const page = await open(own.base + '/');
  await page.locator('#transport[data-state="websocket"]').waitFor();
  await page.locator('#chat-join-button').click();
  await page.locator('#chat-log').filter({ hasText: 'you are' }).waitFor();
  assert.equal(await stopShowcase(own.server), 0);
  await page.locator('#transport[data-state="http"]').waitFor();
  await page.locator('#chat-log').filter({ hasText: 'connection lost' }).first().waitFor();
  const again = await startShowcase([], process.env.SHOWCASE, own.port);
  try {
    await page.locator('#transport[data-state="websocket"]').waitFor({ timeout: 20000 });
    await page.locator('#chat-log li', { hasText: 'you are' }).nth(1).waitFor({ timeout: 20000 });
    await run(page, 'tools.add', { a: '40', b: '2' });
    await output(page, 'tools.add').filter({ hasText: '42' }).waitFor();
    await page.screenshot({ path: join(shots, 'reconnected.png'), fullPage: true });
  } finally {
    await page.context().close();
    assert.equal(await stopShowcase(again.server), 0);
  }
});

test('the explorer lists every endpoint and calls one, and a stream, from forms built from their schemas', async () => {
  const page = await open(base + '/_sb/explorer#tools.add');
  await page.locator('#title', { hasText: 'tools.add' }).waitFor();
  assert.ok(await page.locator('#list button[data-method="progress.count"]').count() === 1);
  await page.locator('#form [data-name="a"]').fill('19');
  await page.locator('#form [data-name="b"]').fill('23');
  await page.locator('#call').click();
  await page.locator('#result', { hasText: '42' }).waitFor();
  await page.locator('#list button[data-method="progress.count"]').click();
  await page.locator('#form [data-name="n"]').fill('4');
  await page.locator('#form [data-name="delay_ms"]').fill('10');
  await page.locator('#call').click();
  await page.locator('#result', { hasText: '(4 values)' }).waitFor();
  assert.equal(await page.locator('#values li').count(), 4);
  await page.screenshot({ path: join(shots, 'explorer.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
