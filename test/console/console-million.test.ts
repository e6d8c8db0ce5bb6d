/**
 * The message browser on a topic with 1,000,000 records (issue 17, must-show 3): the first page
 * (newest 50) is measured in the browser, from the request to the answer (performance.now() in
 * the page), and from navigation to the rows on screen; a page from the middle of the log and a
 * filtered scan are measured too. The figures are printed; the only bounds are generous liveness
 * bounds (the machine is shared), the target of the issue (< 1 s) is reported, not asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { WireClient } from '../helpers/wire.js';
import { consoleBrowserSuite, newPage } from './console-fixture.js';

const RECORDS = 1_000_000;
const PER_BATCH = 1000;
const LIVENESS_MS = 30_000;

const suite = consoleBrowserSuite();

test('the message browser answers its first page quickly on a topic of 1,000,000 records', { timeout: 300_000 }, async () => {
  const client = await WireClient.connect(suite.cb.broker.port);
  try {
    assert.equal(await client.createTopic('million', 1), 0);
    const started = Date.now();
    const inFlight: Promise<{ errorCode: number }>[] = [];
    for (let b = 0; b < RECORDS / PER_BATCH; b++) {
      const records = [];
      for (let i = 0; i < PER_BATCH; i++) {
        const n = b * PER_BATCH + i;
        records.push({ key: `k${n}`, value: `{"n":${n},"user":"user-${n % 977}","pad":"${'x'.repeat(20)}"}` });
      }
      inFlight.push(client.produce('million', 0, encodeRecordBatch({ records }), 1));
      if (inFlight.length >= 16) for (const r of inFlight.splice(0)) assert.equal((await r).errorCode, 0);
    }
    for (const r of inFlight.splice(0)) assert.equal((await r).errorCode, 0);
    console.log(`produced ${RECORDS} records in ${Date.now() - started} ms`);
  } finally {
    client.close();
  }

  const { page, errors } = await newPage(suite.browser);
  const nav = Date.now();
  await page.goto(`${suite.cb.url}/topics/million/messages`);
  await page.locator(`[data-testid=messages] tr[data-offset="${RECORDS - 1}"]`).waitFor({ timeout: LIVENESS_MS });
  const onScreenMs = Date.now() - nav;
  const firstPageMs = await page.evaluate(() => (window as unknown as { __samsaFirstPageMs: number }).__samsaFirstPageMs);
  assert.equal(await page.locator('[data-testid=messages] tbody tr').count(), 50);
  // Again with the browser's caches warm (what a user sees after the first visit).
  const nav2 = Date.now();
  await page.reload();
  await page.locator(`[data-testid=messages] tr[data-offset="${RECORDS - 1}"]`).waitFor({ timeout: LIVENESS_MS });
  const warmOnScreenMs = Date.now() - nav2;
  const warmFirstPageMs = await page.evaluate(() => (window as unknown as { __samsaFirstPageMs: number }).__samsaFirstPageMs);
  assert.match(await page.locator(`[data-testid=messages] tr[data-offset="${RECORDS - 1}"]`).innerText(), /"n":999999/);

  // From the middle of the log.
  const browse = page.getByTestId('browse');
  await browse.locator('select[name=mode]').selectOption('offset');
  await browse.locator('input[name=offset]').fill('500000');
  await browse.getByRole('button', { name: 'Read' }).click();
  await page.locator('[data-testid=messages] tr[data-offset="500000"]').waitFor({ timeout: LIVENESS_MS });
  const middleMs = Number(await page.getByTestId('load-time').innerText());

  // A filter over the newest 10,000 records (the default scan window).
  await browse.locator('select[name=mode]').selectOption('newest');
  await browse.locator('input[name=value]').fill('"user":"user-5"');
  await browse.getByRole('button', { name: 'Read' }).click();
  await page.getByTestId('browse-summary').getByText('10000 scanned').waitFor({ timeout: LIVENESS_MS });
  const filterMs = Number(await page.getByTestId('load-time').innerText());
  const matches = await page.locator('[data-testid=messages] tbody tr').count();
  assert.ok(matches > 0 && matches <= 50, `${matches} rows`);

  console.log(`message browser on ${RECORDS} records: first page (newest 50) ${firstPageMs.toFixed(0)} ms in the browser (${onScreenMs} ms from navigation to rows on screen), after a reload ${warmFirstPageMs.toFixed(0)} ms (${warmOnScreenMs} ms on screen); page at offset 500000: ${middleMs} ms; value filter over 10,000 newest: ${filterMs} ms (${matches} matches)`);
  assert.ok(firstPageMs < LIVENESS_MS);
  assert.deepEqual(errors, []);
});
