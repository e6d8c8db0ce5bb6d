/**
 * `samsa console --command-config FILE` against a SASL_SSL listener (TLS with a PEM trust store,
 * SASL PLAIN): the console's connections log in as the file's user, so the overview lists the
 * broker, a topic created through the console exists, and the broker saw User:admin on SASL_SSL;
 * a file with a wrong password makes the API answer 403 SASL_AUTHENTICATION_FAILED (no stack
 * trace); a file the client cannot honour (GSSAPI) is refused at start with a message.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { startSecureBroker, type SecureBroker } from '../helpers/security.js';
import { samsaCli } from '../helpers/samsa-cli.js';
import { startConsoleProcess } from './console-fixture.js';

let certs: TestCerts;
let b: SecureBroker;
const children: ChildProcess[] = [];

before(async () => {
  certs = makeTestCerts();
  b = await startSecureBroker(certs);
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  try {
    await (b as SecureBroker | undefined)?.stop();
  } finally {
    (certs as TestCerts | undefined)?.remove();
  }
});

function saslSslConfig(password: string): string {
  const path = join(certs.dir, `console-${password}.properties`);
  writeFileSync(
    path,
    [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=PLAIN',
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${password}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${certs.caFile}`,
      '',
    ].join('\n'),
  );
  return path;
}

test('samsa console --command-config logs in over SASL_SSL; a wrong password answers 403', { timeout: 120_000 }, async () => {
  const bootstrap = `127.0.0.1:${b.port('SASL_SSL')}`;
  const url = await startConsoleProcess(['--bootstrap-server', bootstrap, '--command-config', saslSslConfig('admin-secret')], children);
  const cluster = await fetch(`${url}/api/cluster`);
  assert.equal(cluster.status, 200, await cluster.clone().text());
  const body = (await cluster.json()) as { brokers: { id: number; port: number }[] };
  assert.deepEqual(body.brokers.map((x) => x.port), [b.port('SASL_SSL')]);
  const created = await fetch(`${url}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'console-secure', partitions: 2 }) });
  assert.equal(created.status, 201, await created.clone().text());
  const topics = (await (await fetch(`${url}/api/topics`)).json()) as { name: string; partitions: number }[];
  assert.deepEqual(topics.filter((t) => t.name === 'console-secure').map((t) => t.partitions), [2]);
  assert.ok(b.authorizer.principals('SASL_SSL').has('User:admin'));

  const bad = await startConsoleProcess(['--bootstrap-server', bootstrap, '--command-config', saslSslConfig('wrong')], children);
  const refused = await fetch(`${bad}/api/cluster`);
  assert.equal(refused.status, 403);
  const err = (await refused.json()) as { error: { code: string; message: string } };
  assert.equal(err.error.code, 'SASL_AUTHENTICATION_FAILED');
  assert.doesNotMatch(err.error.message, /\.js:\d+/);
});

test('samsa console refuses a --command-config it cannot honour (GSSAPI)', { timeout: 60_000 }, async () => {
  const file = join(certs.dir, 'gssapi.properties');
  writeFileSync(file, 'security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\n');
  const r = await samsaCli(['console', '--bootstrap-server', '127.0.0.1:9', '--port', '0', '--command-config', file]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /sasl\.mechanism.*GSSAPI is not supported/);
  assert.doesNotMatch(r.stderr, /\.js:\d+/);
});
