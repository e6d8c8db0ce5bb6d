/**
 * The web console in real headless Chromium against a real broker (issue 17, must-show 1 and 2):
 * create a topic, produce a message from the UI, find it by offset and by a value filter, see a
 * kafkajs consumer group's lag, reset its offsets to earliest (dry run, then execute) and see the
 * lag change, change a topic config, delete the topic. Each step asserts on what the page shows.
 * Along the way: every page's URL survives a reload, a record containing markup is shown as text
 * (no HTML injection), and each page is screenshotted at 1280x800 (docs/console/ with
 * SAMSA_UPDATE_SCREENSHOTS=1; the security pages' are console-security.test.ts's). Also: a phone-width page has no horizontal overflow, and a
 * console whose cluster is down says so without a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import kafkajs from 'kafkajs';
import { startConsole } from '../../src/console/server.js';
import { consoleBrowserSuite, newPage } from './console-fixture.js';

const { Kafka, logLevel } = kafkajs;

const suite = consoleBrowserSuite();

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(suite.shotsDir, `${name}.png`) });

/** The text of a table cell: row matched by a data attribute, column by index. */
const cell = (page: Page, rowSelector: string, col: number) => page.locator(`${rowSelector} > td`).nth(col);

test('create, produce, browse, filter, lag, reset, configs, delete: all from the browser', { timeout: 240_000 }, async () => {
  const { page, errors } = await newPage(suite.browser);
  const topic = 'console-orders';
  const url = suite.cb.url;

  // Overview: one broker, alive.
  await page.goto(`${url}/`);
  await page.getByTestId('stat-brokers').getByText('1 / 1').waitFor();
  await page.locator('[data-testid=brokers] tr[data-broker="1"]').getByText('alive').waitFor();

  // Create a topic from the Topics page; the console opens it.
  await page.goto(`${url}/topics`);
  await page.getByRole('button', { name: 'Create topic' }).click();
  const form = page.getByTestId('create-topic');
  await form.locator('input[name=name]').fill(topic);
  await form.locator('input[name=partitions]').fill('1');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`${url}/topics/${topic}`);
  await page.getByTestId('topic-name').getByText(topic).waitFor();
  await page.locator('[data-testid=partitions] tbody tr').first().waitFor();

  // Produce a JSON message and a message with markup from the Messages tab.
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.waitForURL(`${url}/topics/${topic}/messages`);
  await page.getByRole('button', { name: 'Produce a message' }).click();
  const produce = page.getByTestId('produce');
  await produce.locator('input[name=key]').fill('order-1');
  await produce.locator('textarea[name=value]').fill('{"kind":"console-test","amount":42}');
  await produce.locator('textarea[name=headers]').fill('source=ui');
  await produce.getByRole('button', { name: 'Produce' }).click();
  await produce.getByTestId('notice').getByText('Produced to partition 0 at offset 0.').waitFor();
  const markup = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
  await produce.locator('input[name=key]').fill('evil');
  await produce.locator('textarea[name=value]').fill(markup);
  await produce.locator('textarea[name=headers]').fill('');
  await produce.getByRole('button', { name: 'Produce' }).click();
  await produce.getByTestId('notice').getByText('Produced to partition 0 at offset 1.').waitFor();

  // Find the first message by offset.
  const browse = page.getByTestId('browse');
  await browse.locator('select[name=mode]').selectOption('offset');
  await browse.locator('input[name=offset]').fill('0');
  await browse.locator('input[name=limit]').fill('1');
  await browse.getByRole('button', { name: 'Read' }).click();
  const row0 = page.locator('[data-testid=messages] tr[data-offset="0"]');
  await row0.waitFor();
  assert.equal(await page.locator('[data-testid=messages] tbody tr').count(), 1);
  assert.match(await row0.innerText(), /order-1/);
  assert.match(await row0.innerText(), /"kind":"console-test"/);
  assert.match(await row0.innerText(), /source/);
  // Pretty JSON.
  await browse.locator('select[name=format]').selectOption('json');
  await page.locator('[data-testid=messages] tr[data-offset="0"] td.val pre').getByText('"amount": 42').waitFor();
  await browse.locator('select[name=format]').selectOption('text');

  // Find it by a value filter (newest records, filtered on the server).
  await browse.locator('select[name=mode]').selectOption('newest');
  await browse.locator('input[name=limit]').fill('50');
  await browse.locator('input[name=value]').fill('console-test');
  await browse.getByRole('button', { name: 'Read' }).click();
  await page.getByTestId('browse-summary').getByText('1 record(s), 2 scanned').waitFor();
  await row0.waitFor();
  assert.equal(await page.locator('[data-testid=messages] tr[data-offset="1"]').count(), 0);
  await browse.locator('input[name=value]').fill('no-such-value');
  await browse.getByRole('button', { name: 'Read' }).click();
  await page.getByTestId('no-records').waitFor();

  // The record with markup is shown as text: nothing ran, no element was made from it.
  await browse.locator('input[name=value]').fill('');
  await browse.getByRole('button', { name: 'Read' }).click();
  const row1 = page.locator('[data-testid=messages] tr[data-offset="1"]');
  await row1.waitFor();
  assert.equal(await row1.locator('td.val pre').innerText(), markup);
  assert.equal(await page.locator('[data-testid=messages] img, [data-testid=messages] script').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  await produce.getByRole('button', { name: 'Close' }).click();
  await shot(page, 'messages');

  // The page survives a reload at its own URL.
  await page.reload();
  await page.waitForURL(`${url}/topics/${topic}/messages`);
  await page.getByTestId('browse').waitFor();
  await page.locator('[data-testid=messages] tr[data-offset="1"]').waitFor();

  // A kafkajs group reads both records and commits; three more records make its lag 3.
  const kafka = new Kafka({ clientId: 'console-test', brokers: [suite.cb.broker.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'console-group', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const allSeen = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: true,
      autoCommitInterval: 100,
      eachMessage: async () => {
        seen++;
        if (seen === 2) resolve();
      },
    });
  });
  await allSeen;
  // Members are shown while it runs.
  await page.goto(`${url}/groups/console-group`);
  await page.locator('[data-testid=members] tbody tr').first().waitFor();
  assert.match(await page.getByTestId('members').innerText(), /console-test/);
  await page.getByTestId('group-state').getByText('Stable').waitFor();
  await page.locator('[data-testid=offsets] tr[data-tp="console-orders-0"]').getByText('2', { exact: true }).first().waitFor();
  await consumer.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
  await producer.disconnect();

  // The lag appears: on the group page, in the group list and on the topic's groups tab.
  await page.getByTestId('total-lag').getByText('3', { exact: true }).waitFor();
  await page.getByTestId('group-state').getByText('Empty').waitFor();
  await page.locator('[data-testid=lag-chart] canvas').first().waitFor();
  // The lag is charted over time: one point per poll (2 s) while the page is open.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=lag-chart]')?.getAttribute('data-points') ?? 0) >= 3, null, { timeout: 30_000 });
  await shot(page, 'group');
  await page.goto(`${url}/groups`);
  assert.equal(await cell(page, '[data-testid=groups] tr[data-group="console-group"]', 4).innerText(), '3');
  await shot(page, 'groups');
  await page.goto(`${url}/topics/${topic}/groups`);
  await page.getByTestId('lag-console-group').getByText('3', { exact: true }).waitFor();

  // Reset to earliest: the dry run previews offset 0, executing it makes the lag 5.
  await page.goto(`${url}/groups/console-group`);
  const reset = page.getByTestId('reset');
  await reset.locator('select[name=kind]').selectOption('earliest');
  await reset.getByRole('button', { name: 'Preview (dry run)' }).click();
  const preview = page.locator('[data-testid=reset-preview] tbody tr');
  await preview.first().waitFor();
  assert.deepEqual((await preview.first().locator('td').allInnerTexts()).map((s) => s.trim()), [topic, '0', '2', '0']);
  assert.equal(await page.getByTestId('total-lag').innerText(), '3', 'a dry run commits nothing');
  await reset.getByRole('button', { name: 'Execute reset' }).click();
  await reset.getByTestId('notice').getByText('Offsets reset for 1 partition(s).').waitFor();
  await page.getByTestId('total-lag').getByText('5', { exact: true }).waitFor();

  // Change a topic config: the new value shows with its source.
  await page.goto(`${url}/topics/${topic}/configs`);
  const retention = page.locator('[data-testid=configs] tr[data-config="retention.ms"]');
  await retention.getByText('DEFAULT_CONFIG').waitFor();
  await retention.getByRole('button', { name: 'Edit' }).click();
  await retention.getByRole('textbox').fill('3600000');
  await retention.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('notice').getByText('Config retention.ms set to 3600000.').waitFor();
  await retention.getByText('DYNAMIC_TOPIC_CONFIG').waitFor();
  assert.equal(await retention.locator('td.value').innerText(), '3600000');
  await shot(page, 'topic-configs');
  await page.goto(`${url}/topics`);
  await cell(page, `[data-testid=topics] tr[data-topic="${topic}"]`, 5).getByText('1 h').waitFor();
  await shot(page, 'topics');
  await page.goto(`${url}/topics/${topic}`);
  await page.locator('[data-testid=partitions] tbody tr').first().waitFor();
  await shot(page, 'topic');

  // Screenshots of the remaining pages.
  await page.goto(`${url}/`);
  await page.getByTestId('stat-topics').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=throughput]')?.getAttribute('data-points') ?? 0) >= 3, null, { timeout: 30_000 });
  await shot(page, 'overview');
  await page.goto(`${url}/brokers`);
  await page.locator('[data-testid=broker-configs] tbody tr').first().waitFor();
  await shot(page, 'brokers');

  // Delete the topic, with confirmation.
  await page.goto(`${url}/topics/${topic}`);
  await page.getByRole('button', { name: 'Delete topic' }).click();
  const confirm = page.getByRole('button', { name: 'Confirm delete topic' });
  assert.equal(await confirm.isDisabled(), true, 'nothing is deleted before the name is typed');
  await page.getByLabel('confirmation').fill(topic);
  await confirm.click();
  await page.waitForURL(`${url}/topics`);
  await page.getByTestId('topics').or(page.getByText('No topics yet.')).first().waitFor();
  await page.waitForFunction((t) => !document.querySelector(`[data-topic="${t}"]`), topic);
  assert.deepEqual(errors, []);
});

test('each page has a URL that opens directly, and a phone-width page does not overflow', { timeout: 60_000 }, async () => {
  const { page, errors } = await newPage(suite.browser, 390, 844);
  for (const [path, heading] of [['/', 'Overview'], ['/topics', 'Topics'], ['/groups', 'Consumer groups'], ['/brokers', 'Brokers'], ['/brokers/1', 'Brokers'], ['/acls', 'ACLs'], ['/quotas', 'Quotas'], ['/users', 'SCRAM users']] as const) {
    await page.goto(`${suite.cb.url}${path}`);
    await page.locator('main h1').getByText(heading, { exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} is ${overflow} px wider than the phone screen`);
    if (path === '/') await page.screenshot({ path: join(suite.shotsDir, 'phone-overview.png') });
  }
  await page.goto(`${suite.cb.url}/topics/no-such-topic`);
  await page.getByTestId('error').getByText('Not found').waitFor();
  await page.goto(`${suite.cb.url}/no/such/page`);
  await page.getByText('Page not found.').waitFor();
  assert.deepEqual(errors, []);
});

test('a console whose cluster is down says so, without a stack trace', { timeout: 60_000 }, async () => {
  // A port nobody listens on: bind one and close it.
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const running = await startConsole({ bootstrap: [`127.0.0.1:${port}`], port: 0 });
  try {
    const { page } = await newPage(suite.browser);
    await page.goto(`${running.url}/`);
    const box = page.getByTestId('error');
    await box.getByText('Cluster unavailable').waitFor();
    const text = await box.innerText();
    assert.match(text, /Cannot reach the cluster/);
    assert.doesNotMatch(text, /\bat .*\.js:\d+/);
    const res = await fetch(`${running.url}/api/topics`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'CLUSTER_UNAVAILABLE');
    assert.doesNotMatch(JSON.stringify(body), /\.js:\d+/);
  } finally {
    await running.close();
  }
});
