/**
 * The console's Kafka Connect pages, in Chromium against a broker that serves the console with
 * console.connect.url naming a real Connect worker (standalone, in-process, in front of the same
 * broker): the Connect page appears in the navigation; a FileStreamSource connector created from
 * JSON on the page (plug-in picked from the worker's list) runs, its lines reach the topic; pause
 * and resume change its state on the page; stopped, its KIP-875 offset is shown and reset, and
 * resumed it reads the file again; a task whose start fails shows FAILED with its trace and runs
 * after "Restart task"; deleting the connector removes it; the pages fit a phone's width. A console
 * without Connect hides the page and answers 404 NO_CONNECT; an unreachable Connect answers 503
 * CONNECT_UNAVAILABLE.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ConnectorPlugin, SourceTask } from '../../src/connect/api.js';
import { PluginRegistry } from '../../src/connect/plugins.js';
import { ConnectWorker } from '../../src/connect/worker.js';
import { startConsole } from '../../src/console/server.js';
import { freePort, waitFor } from '../connect/connect-helpers.js';
import { launchBrowser, newPage, screenshotDir, startConsoleBroker, type ConsoleBroker } from './console-fixture.js';

let cb: ConsoleBroker;
let worker: ConnectWorker;
let browser: Browser;
let dir: string;
const shots = screenshotDir();

/** A source plug-in whose task fails its first start (a FAILED task with a trace to restart). */
let starts = 0;
const flakySource: ConnectorPlugin = {
  className: 'test.FlakySourceConnector',
  aliases: ['FlakySource'],
  type: 'source',
  version: '0.1',
  config: [],
  taskConfigs: () => [{}],
  createSourceTask: (): SourceTask => ({
    async start() {
      starts++;
      if (starts === 1) throw new Error('the first start of the flaky task fails');
    },
    async poll() {
      await new Promise((r) => setTimeout(r, 50));
      return [];
    },
    async stop() {},
  }),
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-console-connect-'));
  // The worker's port is known before the broker starts (console.connect.url is read at start).
  const port = await freePort();
  cb = await startConsoleBroker({ 'console.connect.url': `http://127.0.0.1:${port}` });
  const plugins = new PluginRegistry();
  plugins.register(flakySource);
  worker = await ConnectWorker.start({
    mode: 'standalone',
    bootstrap: [cb.broker.bootstrap],
    port,
    plugins,
    workerConfig: { 'offset.flush.interval.ms': '100', 'offset.storage.file.filename': join(dir, 'offsets.json'), 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' },
    log: () => undefined,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.close();
  await cb?.stop();
  rmSync(dir, { recursive: true, force: true });
  shots.cleanup();
});

interface Messages {
  records: { value: { base64: string } | null }[];
}
const values = async (topic: string): Promise<string[]> => {
  const r = await fetch(`${cb.url}/api/topics/${topic}/messages?mode=offset&offset=0&limit=100`);
  if (r.status !== 200) return [];
  return ((await r.json()) as Messages).records.map((x) => (x.value === null ? '' : Buffer.from(x.value.base64, 'base64').toString()));
};

test('Connect pages: create a FileStreamSource from JSON, see it RUNNING, pause/resume, offsets stop/reset, a failed task restarted, delete', { timeout: 240_000 }, async () => {
  const file = join(dir, 'lines.txt');
  writeFileSync(file, 'alpha\nbeta\ngamma\n');
  const { page, errors } = await newPage(browser);
  await page.goto(`${cb.url}/connect`);
  await page.getByRole('link', { name: 'Connect', exact: true }).waitFor();
  await page.getByText('No connectors.').waitFor();
  assert.match(await page.getByTestId('connect-info').innerText(), /0 connector\(s\) · Kafka Connect 3\.9\.0-samsa · cluster /);

  // Create from JSON: the plug-in list fills connector.class, the rest is typed.
  await page.getByLabel('Plug-in').selectOption('org.apache.kafka.connect.file.FileStreamSourceConnector');
  const filled = JSON.parse(await page.getByLabel('Connector (JSON: name and config)').inputValue()) as { config: Record<string, string> };
  assert.equal(filled.config['connector.class'], 'org.apache.kafka.connect.file.FileStreamSourceConnector');
  const box = page.getByLabel('Connector (JSON: name and config)');
  await box.fill('{"name": "lines", "config": {"connector.class": "FileStreamSource"');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('notice').getByText(/not valid JSON/).waitFor();
  await box.fill(JSON.stringify({ name: 'lines', config: { 'connector.class': 'NoSuchConnector' } }));
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('notice').getByText(/NoSuchConnector/).waitFor();
  await box.fill(JSON.stringify({ name: 'lines', config: { 'connector.class': 'FileStreamSource', 'tasks.max': 1, file, topic: 'connect-lines' } }, null, 2));
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`${cb.url}/connect/lines`);
  await page.getByTestId('connector-state').getByText('RUNNING').waitFor();
  await page.locator('[data-testid=tasks] tr[data-task="0"]').getByText('RUNNING').waitFor();
  assert.match(await page.getByTestId('config').innerText(), new RegExp(`file\\s+${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await waitFor('the three lines in connect-lines', async () => (await values('connect-lines')).length === 3);
  assert.deepEqual(await values('connect-lines'), ['alpha', 'beta', 'gamma']);
  await page.getByRole('link', { name: 'connect-lines' }).waitFor(); // active topics (KIP-558)

  // Pause and resume.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByTestId('connector-state').getByText('PAUSED').waitFor();
  await page.locator('[data-testid=tasks] tr[data-task="0"]').getByText('PAUSED').waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByTestId('connector-state').getByText('RUNNING').waitFor();
  await page.locator('[data-testid=tasks] tr[data-task="0"]').getByText('RUNNING').waitFor();
  await page.screenshot({ path: join(shots.dir, 'connector.png') });

  // Offsets: shown; changed only while stopped; reset, then the file is read again.
  await waitFor('the committed file position', async () => {
    await page.getByRole('button', { name: 'Refresh offsets' }).click();
    return /"position":17/.test(await page.getByTestId('connector-offsets').innerText());
  });
  assert.ok(await page.getByRole('button', { name: 'Reset offsets' }).isDisabled());
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.getByTestId('connector-state').getByText('STOPPED').waitFor();
  await page.getByRole('button', { name: 'Reset offsets' }).click();
  await page.getByLabel('confirmation').fill('reset');
  await page.getByRole('button', { name: 'Confirm reset offsets' }).click();
  await page.getByTestId('notice').getByText(/reset successfully/).waitFor();
  await page.getByTestId('connector-offsets').getByText('No offsets committed.').waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByTestId('connector-state').getByText('RUNNING').waitFor();
  await waitFor('the file read again', async () => (await values('connect-lines')).length === 6);

  // A task that fails: FAILED with its trace, and running after "Restart task".
  const created = await fetch(`${cb.url}/api/connect/connectors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'flaky', config: { 'connector.class': 'FlakySource' } }) });
  assert.equal(created.status, 201, await created.clone().text());
  await page.goto(`${cb.url}/connect`);
  await page.locator('[data-testid=connectors] tr[data-connector="flaky"]').getByText('0/1 running, 1 failed').waitFor();
  assert.match(await page.locator('[data-testid=connectors] tr[data-connector="lines"]').innerText(), /lines\s+source\s+FileStreamSource\s+RUNNING\s+1\/1 running/);
  await page.screenshot({ path: join(shots.dir, 'connect.png') });
  await page.getByRole('link', { name: 'flaky' }).click();
  const task = page.locator('[data-testid=tasks] tr[data-task="0"]');
  await task.getByText('FAILED').waitFor();
  await task.getByText('Trace').click();
  assert.match(await task.locator('pre.trace').innerText(), /the first start of the flaky task fails/);
  await task.getByRole('button', { name: 'Restart task' }).click();
  await task.getByText('RUNNING').waitFor();

  // Delete, with the name typed.
  await page.goto(`${cb.url}/connect/lines`);
  await page.getByRole('button', { name: 'Delete connector' }).click();
  await page.getByLabel('confirmation').fill('lines');
  await page.getByRole('button', { name: 'Confirm delete connector' }).click();
  await page.waitForURL(`${cb.url}/connect`);
  await page.locator('[data-testid=connectors] tr[data-connector="flaky"]').waitFor();
  assert.equal(await page.locator('[data-testid=connectors] tr[data-connector="lines"]').count(), 0);
  const gone = await fetch(`${cb.url}/api/connect/connectors/lines`);
  assert.equal(gone.status, 404);
  const body = (await gone.json()) as { error: { code: string; message: string } };
  assert.deepEqual([body.error.code, body.error.message], ['CONNECT_404', 'Connector lines not found']);
  assert.ok(readFileSync(file, 'utf8').startsWith('alpha'));
  assert.deepEqual(errors, []);

  // At phone width the pages do not overflow.
  const phone = await newPage(browser, 390, 844);
  for (const [path, heading] of [['/connect', 'Connect'], ['/connect/flaky', 'flaky']] as const) {
    await phone.page.goto(`${cb.url}${path}`);
    await phone.page.locator('main h1').getByText(heading, { exact: true }).waitFor();
    await phone.page.locator('[data-testid=connectors], [data-testid=tasks]').first().waitFor();
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} is ${overflow} px wider than the phone screen`);
  }
  assert.deepEqual(phone.errors, []);
});

test('without Connect the page is hidden and the API answers 404 NO_CONNECT; an unreachable Connect answers 503', { timeout: 120_000 }, async () => {
  const plain = await startConsole({ bootstrap: [cb.broker.bootstrap], port: 0 });
  const deadPort = await freePort();
  const dead = await startConsole({ bootstrap: [cb.broker.bootstrap], port: 0, connectUrl: `http://127.0.0.1:${deadPort}` });
  try {
    assert.deepEqual(((await (await fetch(`${plain.url}/api/features`)).json()) as { connect: boolean }).connect, false);
    const none = await fetch(`${plain.url}/api/connect`);
    assert.equal(none.status, 404);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'NO_CONNECT');
    const { page, errors } = await newPage(browser);
    await page.goto(`${plain.url}/`);
    await page.getByRole('link', { name: 'Brokers' }).waitFor();
    await page.getByRole('link', { name: 'SCRAM users' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Connect', exact: true }).count(), 0);
    await page.goto(`${dead.url}/connect`);
    await page.getByTestId('error').first().getByText(/Cannot reach Kafka Connect at http:\/\/127\.0\.0\.1:\d+/).waitFor();
    assert.match(await page.getByTestId('error').first().innerText(), /console\.connect\.url/);
    const down = await fetch(`${dead.url}/api/connect`);
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { error: { code: string } }).error.code, 'CONNECT_UNAVAILABLE');
    assert.deepEqual(errors.filter((e) => !/503/.test(e)), []);
  } finally {
    await plain.close();
    await dead.close();
  }
});
