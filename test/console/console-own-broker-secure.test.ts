/**
 * A broker's own console (console.listeners) on a broker without a PLAINTEXT listener connects to
 * the broker through its inter-broker listener with the inter-broker client security:
 * - SASL_SSL only (PLAIN, sasl.mechanism.inter.broker.protocol=PLAIN): the console logs in with
 *   the JAAS config's username/password and trusts the listener's trust store; the overview lists
 *   the broker, a topic is created through the console, and the broker saw User:admin;
 * - SSL only with ssl.client.auth=required: the console presents the listener's own key store
 *   (the broker's certificate), so the broker saw its own certificate's principal;
 * - SASL_SSL only without a usable inter-broker mechanism: the broker starts, the console does
 *   not, and a warning says what to set;
 * - with console.command.config (Kafka client properties) the console logs in as that file's
 *   user (User:alice) on the listener of its security.protocol instead, with no inter-broker
 *   mechanism needed; a file naming a protocol the broker has no listener for leaves the console
 *   off with a warning.
 * Each is checked in Chromium too (the overview page shows the broker and its address).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { PLAIN_JAAS, RecordingAuthorizer } from '../helpers/security.js';
import { launchBrowser, newPage } from './console-fixture.js';

let certs: TestCerts;
let browser: Browser;
before(async () => {
  certs = makeTestCerts();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  certs?.remove();
});

const tls = (): Record<string, string> => ({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caFile });

/** The console of `broker`: the overview in the API and in Chromium, and a topic created through it. */
async function checkConsole(broker: RunningBroker, listener: string, topic: string): Promise<void> {
  const running = broker.broker.console;
  assert.ok(running, 'the broker started its console');
  const port = broker.broker.listeners.find((l) => l.name === listener)?.port;
  const cluster = await fetch(`${running.url}/api/cluster`);
  assert.equal(cluster.status, 200, await cluster.clone().text());
  const body = (await cluster.json()) as { brokers: { id: number; port: number; alive: boolean }[] };
  assert.deepEqual(body.brokers.map((b) => [b.port, b.alive]), [[port, true]]);
  const created = await fetch(`${running.url}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: topic, partitions: 2 }) });
  assert.equal(created.status, 201, await created.clone().text());
  const { page, errors } = await newPage(browser);
  await page.goto(`${running.url}/`);
  await page.getByText(`127.0.0.1:${port}`).first().waitFor();
  await page.goto(`${running.url}/topics`);
  await page.getByRole('link', { name: topic }).waitFor();
  assert.deepEqual(errors, []);
  await page.context().close();
}

test('SASL_SSL-only broker: its console logs in over SASL_SSL with the inter-broker credentials', { timeout: 120_000 }, async () => {
  const authorizer = new RecordingAuthorizer();
  const broker = await startBroker({
    port: 0,
    gate: { authorizer },
    logger: { level: 'warn' },
    config: {
      listeners: 'SASL_SSL://127.0.0.1:0',
      ...tls(),
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS,
      'console.listeners': 'http://127.0.0.1:0',
    },
  });
  try {
    await checkConsole(broker, 'SASL_SSL', 'own-sasl-ssl');
    assert.deepEqual([...authorizer.principals('SASL_SSL')], ['User:admin']);
  } finally {
    await broker.stop();
  }
});

test('SSL-only broker with client authentication: its console presents the broker certificate', { timeout: 120_000 }, async () => {
  const authorizer = new RecordingAuthorizer();
  const broker = await startBroker({
    port: 0,
    gate: { authorizer },
    logger: { level: 'warn' },
    config: { listeners: 'SSL://127.0.0.1:0', ...tls(), 'ssl.client.auth': 'required', 'console.listeners': 'http://127.0.0.1:0' },
  });
  try {
    await checkConsole(broker, 'SSL', 'own-ssl');
    assert.deepEqual([...authorizer.principals('SSL')], ['User:CN=localhost']);
  } finally {
    await broker.stop();
  }
});

test('SASL_SSL-only broker without an inter-broker mechanism: the broker starts, its console does not, with a warning', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  const broker = await startBroker({
    port: 0,
    logger: { level: 'warn', sink: (line: string) => lines.push(line) },
    config: { listeners: 'SASL_SSL://127.0.0.1:0', ...tls(), 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS, 'console.listeners': 'http://127.0.0.1:0' },
  });
  try {
    assert.equal(broker.broker.console, null);
    assert.ok(lines.some((l) => /console is not started/.test(l) && /sasl\.mechanism\.inter\.broker\.protocol/.test(l)), lines.join('\n'));
  } finally {
    await broker.stop();
  }
});

test('console.command.config: the console logs in as the file\'s user on that protocol\'s listener', { timeout: 120_000 }, async () => {
  const file = join(certs.dir, 'console-alice.properties');
  writeFileSync(file, ['security.protocol=SASL_SSL', 'sasl.mechanism=PLAIN', 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caFile}`, ''].join('\n'));
  const authorizer = new RecordingAuthorizer();
  // No sasl.mechanism.inter.broker.protocol: the inter-broker login is not needed.
  const broker = await startBroker({
    port: 0,
    gate: { authorizer },
    logger: { level: 'warn' },
    config: { listeners: 'SASL_SSL://127.0.0.1:0', ...tls(), 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS, 'console.listeners': 'http://127.0.0.1:0', 'console.command.config': file },
  });
  try {
    await checkConsole(broker, 'SASL_SSL', 'own-alice');
    assert.deepEqual([...authorizer.principals('SASL_SSL')], ['User:alice']);
  } finally {
    await broker.stop();
  }

  const ssl = join(certs.dir, 'console-ssl.properties');
  writeFileSync(ssl, `security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${certs.caFile}\n`);
  const lines: string[] = [];
  const other = await startBroker({
    port: 0,
    logger: { level: 'warn', sink: (line: string) => lines.push(line) },
    config: { listeners: 'SASL_SSL://127.0.0.1:0', ...tls(), 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS, 'console.listeners': 'http://127.0.0.1:0', 'console.command.config': ssl },
  });
  try {
    assert.equal(other.broker.console, null);
    assert.ok(lines.some((l) => /console\.command\.config cannot be used/.test(l) && /no SSL listener/.test(l)), lines.join('\n'));
  } finally {
    await other.stop();
  }
});
