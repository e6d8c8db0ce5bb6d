/**
 * Editing dynamic broker configs from the Brokers page, in Chromium against a broker serving the
 * console (kafka-configs.sh --entity-type brokers --alter, from a browser): a config set on
 * broker 1 shows with source DYNAMIC_BROKER_CONFIG, one set as the cluster-wide default with
 * DYNAMIC_DEFAULT_BROKER_CONFIG, and both are what DescribeConfigs answers kafkajs; removing them
 * brings back the static/default values; a read-only config is refused with the broker's
 * message. The API answers the same for /api/brokers/default/configs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
import { consoleBrowserSuite, newPage } from './console-fixture.js';

const suite = consoleBrowserSuite();

/** The broker's own config values, as kafkajs reads them (DescribeConfigs of BROKER 1). */
async function brokerValues(names: string[]): Promise<Record<string, { value: string | null; source: number }>> {
  const admin = new Kafka({ clientId: 'console-broker-configs', brokers: [suite.cb.broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: names }] });
    return Object.fromEntries((r.resources[0]?.configEntries ?? []).map((e) => [e.configName, { value: e.configValue, source: (e as unknown as { configSource: number }).configSource }]));
  } finally {
    await admin.disconnect();
  }
}

test('Brokers page: set a dynamic config on a broker and as the default, remove them; read-only refused', { timeout: 120_000 }, async () => {
  const { page, errors } = await newPage(suite.browser);
  await page.goto(`${suite.cb.url}/brokers/1`);
  await page.locator('[data-testid=broker-configs] tbody tr').first().waitFor();
  const row = (name: string) => page.locator(`[data-testid=broker-configs] tr[data-config="${name}"]`);
  const form = page.getByTestId('set-broker-config');

  await form.getByLabel('Config').fill('log.retention.ms');
  await form.getByLabel('Value').fill('3600000');
  await form.getByRole('button', { name: 'Set dynamic config' }).click();
  await page.getByTestId('notice').getByText('Set log.retention.ms=3600000 on broker 1.').waitFor();
  await row('log.retention.ms').getByText('DYNAMIC_BROKER_CONFIG').waitFor();
  assert.match(await row('log.retention.ms').innerText(), /log\.retention\.ms\s+3600000\s+DYNAMIC_BROKER_CONFIG/);

  await form.getByLabel('Config').fill('message.max.bytes');
  await form.getByLabel('Value').fill('2000000');
  await form.getByLabel('Scope').selectOption('default');
  await form.getByRole('button', { name: 'Set dynamic config' }).click();
  await page.getByTestId('notice').getByText('Set message.max.bytes=2000000 as the cluster-wide default.').waitFor();
  await row('message.max.bytes').getByText('DYNAMIC_DEFAULT_BROKER_CONFIG').waitFor();
  // Kafka's ConfigSource ids: DYNAMIC_BROKER_CONFIG 2, DYNAMIC_DEFAULT_BROKER_CONFIG 3, DEFAULT_CONFIG 5.
  assert.deepEqual(await brokerValues(['log.retention.ms', 'message.max.bytes']), { 'log.retention.ms': { value: '3600000', source: 2 }, 'message.max.bytes': { value: '2000000', source: 3 } });
  const defaults = (await (await fetch(`${suite.cb.url}/api/brokers/default/configs`)).json()) as { name: string; value: string; source: string }[];
  assert.deepEqual(defaults.map((c) => [c.name, c.value, c.source]), [['message.max.bytes', '2000000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']]);
  await page.screenshot({ path: join(suite.shotsDir, 'broker-configs.png') });

  // A read-only config is refused with the broker's reason.
  await form.getByLabel('Config').fill('log.dirs');
  await form.getByLabel('Value').fill('/tmp/elsewhere');
  await form.getByLabel('Scope').selectOption('broker');
  await form.getByRole('button', { name: 'Set dynamic config' }).click();
  await page.locator('[data-testid=notice].error').waitFor();
  assert.match(await page.getByTestId('notice').innerText(), /log\.dirs/);

  for (const name of ['log.retention.ms', 'message.max.bytes']) {
    await row(name).getByRole('button', { name: 'Remove' }).click();
    await row(name).getByLabel('confirmation').fill('remove');
    await row(name).getByRole('button', { name: 'Confirm remove' }).click();
    await page.getByTestId('notice').getByText(`Removed the dynamic ${name}`).waitFor();
  }
  await row('log.retention.ms').waitFor({ state: 'detached' });
  await row('message.max.bytes').waitFor({ state: 'detached' });
  const after = await brokerValues(['log.retention.ms', 'message.max.bytes']);
  assert.deepEqual([after['log.retention.ms']?.source, after['message.max.bytes']?.value], [5, '1048588']);
  assert.deepEqual(errors, []);
});
