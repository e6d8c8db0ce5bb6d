/**
 * The CLI against TLS and SASL listeners with `--command-config FILE` (Kafka's client properties,
 * cli/command-config.ts), the real `samsa` binary in a child process:
 * - SASL_SSL PLAIN: topics create/list, produce then consume (@platformatic/kafka's clients and
 *   Samsa's own connections both take the file);
 * - `samsa users` adds a SCRAM-SHA-512 credential, kafkajs logs in with it over SASL_SSL,
 *   --describe lists it (also as `samsa configs --entity-type users`), --delete-config removes it
 *   and kafkajs is refused;
 * - mTLS with a PEM key store (ssl.keystore.location): the principal is the certificate's;
 * - a wrong password exits non-zero saying authentication failed; no file on a SASL_SSL port fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { startSecureBroker, type SecureBroker } from '../helpers/security.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

let certs: TestCerts;
let b: SecureBroker;

before(async () => {
  certs = makeTestCerts();
  b = await startSecureBroker(certs);
});

after(async () => {
  try {
    await (b as SecureBroker | undefined)?.stop();
  } finally {
    (certs as TestCerts | undefined)?.remove();
  }
});

function configFile(name: string, lines: string[]): string {
  const path = join(certs.dir, `${name}.properties`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function saslSslConfig(password = 'admin-secret'): string {
  return configFile(`admin-${password}`, [
    '# Kafka client properties',
    'security.protocol=SASL_SSL',
    'sasl.mechanism=PLAIN',
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\`,
    `    username="admin" password="${password}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${certs.caFile}`,
  ]);
}

const saslSsl = (): string => `127.0.0.1:${b.port('SASL_SSL')}`;

test('SASL_SSL with --command-config: topics create and list, produce then consume', { timeout: 120_000 }, async () => {
  const cfg = ['--command-config', saslSslConfig()];
  assertOk(await samsaCli(['topics', 'create', '--topic', 'cli-secure', '--partitions', '2', ...cfg], { bootstrap: saslSsl() }), 'topics create');
  const list = await samsaCli(['topics', 'list', ...cfg], { bootstrap: saslSsl() });
  assertOk(list, 'topics list');
  assert.match(list.stdout, /^cli-secure\s+2\s+1\s/m);
  assertOk(await samsaCli(['produce', '--topic', 'cli-secure', ...cfg], { bootstrap: saslSsl(), input: 'one\ntwo\nthree\n' }), 'produce');
  const consumed = await samsaCli(['consume', '--topic', 'cli-secure', '--from-beginning', '--max-messages', '3', ...cfg], { bootstrap: saslSsl(), timeoutMs: 60_000 });
  assertOk(consumed, 'consume');
  assert.deepEqual(consumed.stdout.trim().split('\n').sort(), ['one', 'three', 'two']);
  assert.ok(b.authorizer.principals('SASL_SSL').has('User:admin'));
});

test('samsa users: a SCRAM-SHA-512 credential added over SASL_SSL lets kafkajs log in; described; deleted, kafkajs is refused', { timeout: 120_000 }, async () => {
  const cfg = ['--command-config', saslSslConfig()];
  const added = await samsaCli(['users', '--alter', '--add-config', 'SCRAM-SHA-512=[iterations=8192,password=zed-secret],SCRAM-SHA-256=[password=zed-256]', '--entity-type', 'users', '--entity-name', 'zed', ...cfg], { bootstrap: saslSsl() });
  assertOk(added, 'users --alter');
  assert.match(added.stdout, /Completed updating config for user zed\./);
  const kafka = (password: string): Kafka =>
    new Kafka({ clientId: 'cli-zed', brokers: [saslSsl()], ssl: { ca: [readFileSync(certs.caFile)] }, sasl: { mechanism: 'scram-sha-512', username: 'zed', password }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka('zed-secret').producer();
  await producer.connect();
  try {
    await producer.send({ topic: 'zed-topic', messages: [{ value: 'by zed' }] });
  } finally {
    await producer.disconnect();
  }
  assert.ok(b.authorizer.principals('SASL_SSL').has('User:zed'));
  const described = await samsaCli(['users', '--describe', '--entity-name', 'zed', ...cfg], { bootstrap: saslSsl() });
  assertOk(described, 'users --describe');
  assert.match(described.stdout, /SCRAM credential configs for user-principal 'zed' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=8192/);
  const viaConfigs = await samsaCli(['configs', '--describe', '--entity-type', 'users', ...cfg], { bootstrap: saslSsl() });
  assertOk(viaConfigs, 'configs --entity-type users --describe');
  assert.match(viaConfigs.stdout, /user-principal 'zed'/);
  assertOk(await samsaCli(['users', '--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-name', 'zed', ...cfg], { bootstrap: saslSsl() }), 'users --delete-config');
  const after = await samsaCli(['users', '--describe', '--entity-name', 'zed', '--json', ...cfg], { bootstrap: saslSsl() });
  assert.deepEqual(JSON.parse(after.stdout), { users: [{ user: 'zed', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] }] });
  const refused = kafka('zed-secret').admin();
  await assert.rejects(refused.connect(), /SASL SCRAM SHA512 authentication failed|Authentication failed|SASLAuthenticationFailed/i);
});

test('mTLS with a PEM key store in --command-config: the principal comes from the certificate', { timeout: 60_000 }, async () => {
  const c = certs.client('erin');
  const pem = join(certs.dir, 'erin.pem');
  writeFileSync(pem, readFileSync(c.keyFile, 'utf8') + readFileSync(c.certFile, 'utf8'));
  const cfg = configFile('erin', ['security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caFile}`, 'ssl.keystore.type=PEM', `ssl.keystore.location=${pem}`]);
  assertOk(await samsaCli(['topics', 'describe', '--topic', 'cli-secure', '--command-config', cfg], { bootstrap: `127.0.0.1:${b.port('SSL')}` }), 'topics describe over mTLS');
  assert.ok(b.authorizer.principals('SSL').has('User:erin'), [...b.authorizer.principals('SSL')].join(','));
});

test('refusals: a wrong password says authentication failed; no --command-config on a SASL_SSL port fails', { timeout: 60_000 }, async () => {
  const wrong = await samsaCli(['topics', 'list', '--command-config', saslSslConfig('wrong')], { bootstrap: saslSsl() });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /Authentication failed .*SASL PLAIN authentication of admin failed/);
  const plain = await samsaCli(['topics', 'list', '--timeout', '3000'], { bootstrap: saslSsl(), timeoutMs: 30_000 });
  assert.notEqual(plain.code, 0);
  const missing = await samsaCli(['topics', 'list', '--command-config', join(certs.dir, 'nope.properties')], { bootstrap: saslSsl() });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Cannot read --command-config/);
});
