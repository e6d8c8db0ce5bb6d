/**
 * The message browser's other reads in Chromium: a live tail that shows records produced after it
 * started, a large value cut to a preview with "show all", hex and JSON views, a read from a time,
 * a header filter over all partitions; and the topic page's add-partitions and delete-records
 * actions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchBrowser, newPage, startConsoleBroker, type ConsoleBroker } from './console-fixture.js';

let cb: ConsoleBroker;
let browser: Browser;
before(async () => {
  cb = await startConsoleBroker();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await cb?.stop();
});

async function produce(topic: string, body: Record<string, unknown>): Promise<{ partition: number; offset: number }> {
  const res = await fetch(`${cb.url}/api/topics/${topic}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201);
  return (await res.json()) as { partition: number; offset: number };
}

test('live tail, show all, hex, read from a time, header filter, add partitions and delete records', { timeout: 120_000 }, async () => {
  const created = await fetch(`${cb.url}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tailed', partitions: 2 }) });
  assert.equal(created.status, 201);
  const big = 'x'.repeat(5000) + 'END';
  await produce('tailed', { key: 'k0', value: big, partition: 0 });
  const firstAt = Date.now();
  const { page, errors } = await newPage(browser);
  await page.goto(`${cb.url}/topics/tailed/messages`);
  const browse = page.getByTestId('browse');

  // A large value is cut; "show all" fetches the whole record.
  const row = page.locator('[data-testid=messages] tr[data-partition="0"][data-offset="0"]');
  await row.getByText('showing 2048 of 5003 bytes').waitFor();
  assert.doesNotMatch(await row.locator('td.val pre').innerText(), /END/);
  await row.getByRole('button', { name: 'show all' }).click();
  await row.locator('td.val pre').getByText(/END$/).waitFor();
  assert.equal((await row.locator('td.val pre').innerText()).length, 5003);

  // Hex view of the key.
  await browse.locator('select[name=format]').selectOption('hex');
  await row.getByText('00000000  6b 30').waitFor();
  await browse.locator('select[name=format]').selectOption('text');

  // Live tail over both partitions: records produced after it started appear. "following new
  // records" shows once the tail's start read answered (its next offsets are known); the records
  // are produced after that. (The time input takes whole seconds: the tailed records are produced
  // in a later second than the first one.)
  while (Math.floor(Date.now() / 1000) === Math.floor(firstAt / 1000)) await new Promise((r) => setTimeout(r, 20));
  const tailFrom = Date.now();
  await browse.locator('select[name=mode]').selectOption('tail');
  await page.getByTestId('browse-summary').getByText('following new records').waitFor();
  const p1 = await produce('tailed', { value: 'tail-one', partition: 1, headers: [{ key: 'trace', value: 'abc' }] });
  const p0 = await produce('tailed', { value: 'tail-zero', partition: 0 });
  await page.locator(`[data-testid=messages] tr[data-partition="1"][data-offset="${p1.offset}"]`).getByText('tail-one').waitFor();
  await page.locator(`[data-testid=messages] tr[data-partition="0"][data-offset="${p0.offset}"]`).getByText('tail-zero').waitFor();

  // From a time after the first record: only the later ones; a header filter over all partitions.
  const after = new Date(tailFrom).toISOString().slice(0, 19);
  await browse.locator('select[name=mode]').selectOption('timestamp');
  await browse.locator('input[name=timestamp]').fill(after);
  await browse.getByRole('button', { name: 'Read' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=browse-summary]')?.textContent?.includes('following') === false);
  await page.locator('[data-testid=messages] tbody tr').first().waitFor();
  const texts = await page.locator('[data-testid=messages] tbody tr td.val').allInnerTexts();
  assert.ok(!texts.some((x) => x.includes('END')) && texts.some((x) => x.includes('tail-one')), texts.join(' | '));
  await browse.locator('select[name=mode]').selectOption('newest');
  await browse.locator('input[name=header]').fill('trace=abc');
  await browse.getByRole('button', { name: 'Read' }).click();
  await page.getByTestId('browse-summary').getByText('1 record(s)').waitFor();
  await page.locator('[data-testid=messages] tr[data-partition="1"]').getByText('tail-one').waitFor();

  // Add partitions, then delete the records of partition 0.
  await page.goto(`${cb.url}/topics/tailed`);
  await page.locator('input[name=count]').fill('3');
  await page.getByRole('button', { name: 'Add partitions' }).click();
  await page.getByTestId('notice').getByText('Partitions added.').waitFor();
  await page.locator('[data-testid=partitions] tbody tr').nth(2).waitFor();
  await page.getByRole('button', { name: 'Delete records' }).click();
  await page.getByTestId('notice').getByText('Records deleted: partition 0 now starts at offset 2.').waitFor();
  assert.deepEqual(errors, []);
});
