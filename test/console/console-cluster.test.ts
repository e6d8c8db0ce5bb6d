/**
 * The console against a three-broker cluster on etcd (issue 17, must-show 4): broker processes
 * (kill -9 is real), a topic with replication factor 3 created through the console's API, the
 * overview showing three live brokers; then one broker is killed and the overview shows it down
 * and the under-replicated partitions, measured from the kill (printed; the bound is a generous
 * liveness bound); the topic page shows the shrunk ISR; after a restart the broker is alive again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startConsole, type RunningConsole } from '../../src/console/server.js';
import { useEtcd } from '../helpers/etcd.js';
import { startProcessCluster, type ProcessCluster } from '../helpers/cluster-process.js';
import { launchBrowser, newPage, screenshotDir } from './console-fixture.js';

const fx = useEtcd({ before, after });
const LIVENESS_MS = 60_000;

let browser: Browser;
const shots = screenshotDir();
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  shots.cleanup();
});

test('a killed broker and the under-replicated partitions show on the overview within seconds', { timeout: 240_000 }, async (t) => {
  const cluster: ProcessCluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  t.after(() => cluster.stop());
  const running: RunningConsole = await startConsole({ bootstrap: cluster.bootstrap().split(','), port: 0 });
  t.after(() => running.close());
  try {
    const created = await fetch(`${running.url}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'watched', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }) });
    assert.equal(created.status, 201, await created.text());

    const { page, errors } = await newPage(browser);
    await page.goto(`${running.url}/`);
    await page.getByTestId('stat-brokers').getByText('3 / 3').waitFor({ timeout: LIVENESS_MS });
    await page.getByTestId('stat-urp').locator('.stat-value').getByText('0', { exact: true }).waitFor({ timeout: LIVENESS_MS });
    for (const id of [1, 2, 3]) await page.locator(`[data-testid=brokers] tr[data-broker="${id}"]`).getByText('alive').waitFor();
    await page.screenshot({ path: join(shots.dir, 'overview-cluster.png') });

    const victim = 3;
    const killed = Date.now();
    await cluster.kill(victim);
    await page.locator(`[data-testid=brokers] tr[data-broker="${victim}"]`).getByText('down').waitFor({ timeout: LIVENESS_MS });
    const downMs = Date.now() - killed;
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=stat-urp] .stat-value')?.textContent ?? '0') > 0, null, { timeout: LIVENESS_MS });
    const urpMs = Date.now() - killed;
    await page.getByTestId('stat-brokers').getByText('2 / 3').waitFor();
    const urpRows = await page.locator('[data-testid=urp] tbody tr').allInnerTexts();
    assert.ok(urpRows.some((r) => r.includes('watched')), urpRows.join('\n'));
    await page.screenshot({ path: join(shots.dir, 'overview-broker-down.png') });
    console.log(`console: broker ${victim} killed; shown down after ${downMs} ms, under-replicated partitions after ${urpMs} ms (overview polls every 2 s; broker.session.timeout.ms 2000)`);

    // The topic page shows the ISR without the killed broker.
    await page.goto(`${running.url}/topics/watched`);
    await page.locator('[data-testid=partitions] tbody tr').first().waitFor();
    const isr = await page.locator('[data-testid=partitions] tbody tr td:nth-child(4)').allInnerTexts();
    assert.equal(isr.length, 3);
    for (const x of isr) assert.ok(!x.split(', ').includes(String(victim)), `ISR ${x} still names broker ${victim}`);

    // Restarted, it is alive again.
    await cluster.restart(victim);
    await page.goto(`${running.url}/`);
    await page.getByTestId('stat-brokers').getByText('3 / 3').waitFor({ timeout: LIVENESS_MS });
    assert.deepEqual(errors, []);
  } catch (e) {
    console.log(cluster.output());
    throw e;
  }
});
