/**
 * The REST proxy in front of a SASL_SSL listener with SCRAM users and Kafka ACLs (StandardAuthorizer,
 * allow.everyone.if.no.acl.found=false): the proxy reaches Kafka over TLS trusting the test CA, and
 * each request's HTTP basic credentials are the SCRAM login of that user's connections, so the
 * broker's ACLs decide per HTTP user: alice (granted the topic) produces, bob (no ACL) is refused
 * with 403 / 40301 as Confluent's REST Proxy answers Kafka authorization failures, a wrong password
 * is 401 / 40101. Then `samsa rest --command-config FILE` (a child process): the file's SASL_SSL
 * SCRAM-SHA-256 login is the identity of every request, and with --sasl-mechanism the file only
 * gives the TLS settings and HTTP users log in as themselves. `samsa registry --command-config`
 * keeps its schemas in `_schemas` through the same SASL_SSL listener.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AclOp, AclResourceType, PatternType, PermissionType } from '../../src/auth/acl.js';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { RestProxy } from '../../src/rest/server.js';
import { createAcls } from '../auth/acl-helpers.js';
import { CLI } from '../helpers/broker-process.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { setScramCredentials } from '../helpers/security.js';
import { expectError, expectStatus, http } from './rest-helpers.js';

let certs: TestCerts;
let broker: RunningBroker;
let proxy: RestProxy;
let saslSsl: string;

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const json = { 'content-type': 'application/vnd.kafka.json.v2+json' };

function portOf(name: string): number {
  const l = broker.broker.listeners.find((x) => x.name === name);
  assert.ok(l, `listener ${name}`);
  return l.port;
}

before(async () => {
  certs = makeTestCerts();
  broker = await startBroker({
    port: 0,
    config: {
      // PLAINTEXT (ANONYMOUS is a super user) only sets the test up: SCRAM users and ACLs.
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.serverPem,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.caFile,
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': 'false',
      'super.users': 'User:admin;User:ANONYMOUS',
      'connection.failed.authentication.delay.ms': '10',
      'num.partitions': 1,
      'offsets.topic.num.partitions': 1,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  const plain = portOf('PLAINTEXT');
  const results = await setScramCredentials(plain, [
    { name: 'admin', password: 'admin-secret', mechanism: 'SCRAM-SHA-512' },
    { name: 'alice', password: 'alice-secret', mechanism: 'SCRAM-SHA-512' },
    { name: 'alice', password: 'alice-256', mechanism: 'SCRAM-SHA-256' },
    { name: 'bob', password: 'bob-secret', mechanism: 'SCRAM-SHA-512' },
  ]);
  assert.ok(results.every((r) => r.errorCode === 0), JSON.stringify(results));
  const admin = await ProtocolClient.connect({ host: '127.0.0.1', port: plain, clientId: 'acl-setup', requestTimeoutMs: 30_000 });
  try {
    await createAcls(admin, [{ resourceType: AclResourceType.TOPIC, resourceName: 'sec-', patternType: PatternType.PREFIXED, principal: 'User:alice', host: '*', operation: AclOp.ALL, permissionType: PermissionType.ALLOW }]);
  } finally {
    admin.close();
  }
  saslSsl = `127.0.0.1:${portOf('SASL_SSL')}`;
  proxy = await RestProxy.start({ bootstrap: [saslSsl], port: 0, sasl: 'SCRAM-SHA-512', security: { tls: { ca: readFileSync(certs.caFile) } } });
});

after(async () => {
  try {
    await proxy?.close();
    await broker?.stop();
  } finally {
    certs?.remove();
  }
});

test('SCRAM over TLS: HTTP users are their SASL principals; ACLs allow alice, refuse bob with 40301; a wrong password is 40101', { timeout: 120_000 }, async () => {
  const url = proxy.url;
  const admin = basic('admin', 'admin-secret');
  const alice = basic('alice', 'alice-secret');
  const bob = basic('bob', 'bob-secret');
  expectError(await http('GET', `${url}/topics`), 401, 40101, 'no credentials');
  expectError(await http('GET', `${url}/topics`, undefined, basic('alice', 'wrong')), 401, 40101, 'wrong SCRAM password');

  const c = `${url}/v3/clusters/${broker.broker.clusterId}`;
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'sec-t', partitions_count: 1, replication_factor: 1 }, { 'content-type': 'application/json', ...admin }), 201, 'admin (super user) creates sec-t');
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'private', partitions_count: 1, replication_factor: 1 }, { 'content-type': 'application/json', ...admin }), 201, 'admin creates private');

  const ok = await http('POST', `${url}/topics/sec-t`, { records: [{ value: { by: 'alice' } }] }, { ...json, ...alice });
  expectStatus(ok, 200, 'alice produces to sec-t');
  assert.equal((ok.json as { offsets: { error_code: unknown }[] }).offsets[0]?.error_code, null);
  expectError(await http('POST', `${url}/topics/private`, { records: [{ value: 1 }] }, { ...json, ...alice }), 403, 40301, 'alice has no ACL on private');
  expectError(await http('POST', `${url}/topics/sec-t`, { records: [{ value: { by: 'bob' } }] }, { ...json, ...bob }), 403, 40301, 'bob produces to sec-t');
  expectError(await http('GET', `${url}/topics/sec-t`, undefined, bob), 403, 40301, 'bob describes sec-t');
  expectError(await http('GET', `${c}/topics/sec-t`, undefined, bob), 403, 403, 'bob describes sec-t (v3)');
  const listed = await http('GET', `${url}/topics`, undefined, bob);
  expectStatus(listed, 200, 'bob lists topics');
  assert.deepEqual(listed.json, [], 'bob sees no topic');
  const aliceList = await http('GET', `${url}/topics`, undefined, alice);
  assert.deepEqual(aliceList.json, ['sec-t'], 'alice sees only her topics');
});

function startRestChild(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  return startChild(['rest', ...args], /REST proxy listening on (http:\/\/\S+)/);
}

/** `samsa <args> --bootstrap-server <SASL_SSL> --port 0`, once its banner names its URL. */
async function startChild(args: string[], banner: RegExp): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI, ...args, '--bootstrap-server', saslSsl, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no banner: ${out} ${err}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = banner.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`samsa ${args[0] ?? ''} exited ${code}: ${out} ${err}`));
      });
    });
    return { url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

test('samsa rest --command-config: the file is the proxy’s own SASL_SSL login, or with --sasl-mechanism only its TLS', { timeout: 120_000 }, async () => {
  const file = join(certs.dir, 'alice-256.properties');
  writeFileSync(
    file,
    [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-256',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-256";',
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${certs.caFile}`,
      '',
    ].join('\n'),
  );
  const asAlice = await startRestChild(['--command-config', file]);
  try {
    const ok = await http('POST', `${asAlice.url}/topics/sec-cli`, { records: [{ value: 'from the file login' }] }, json);
    // sec-cli does not exist (and auto-creation is not asked for): alice may describe it, so 40401.
    expectError(ok, 404, 40401, 'unknown topic under alice’s prefix');
    expectStatus(await http('POST', `${asAlice.url}/topics/sec-t`, { records: [{ value: 'from the file login' }] }, json), 200, 'the file’s user produces to sec-t');
    expectError(await http('POST', `${asAlice.url}/topics/private`, { records: [{ value: 1 }] }, json), 403, 40301, 'the file’s user has no ACL on private');
  } finally {
    await asAlice.stop();
  }
  const perUser = await startRestChild(['--command-config', file, '--sasl-mechanism', 'SCRAM-SHA-512']);
  try {
    expectError(await http('GET', `${perUser.url}/topics`), 401, 40101, 'HTTP credentials required');
    expectStatus(await http('POST', `${perUser.url}/topics/private`, { records: [{ value: 2 }] }, { ...json, ...basic('admin', 'admin-secret') }), 200, 'admin produces to private');
    expectError(await http('POST', `${perUser.url}/topics/sec-t`, { records: [{ value: 3 }] }, { ...json, ...basic('bob', 'bob-secret') }), 403, 40301, 'bob is refused');
  } finally {
    await perUser.stop();
  }
});

test('samsa registry --command-config: a standalone registry over SASL_SSL SCRAM', { timeout: 120_000 }, async () => {
  const file = join(certs.dir, 'admin-512.properties');
  writeFileSync(
    file,
    [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";',
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${certs.caFile}`,
      '',
    ].join('\n'),
  );
  const registry = await startChild(['registry', '--command-config', file, '--replication-factor', '1'], /Schema registry on (http:\/\/\S+)/);
  try {
    const ct = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
    let id: unknown;
    const deadline = Date.now() + 60_000;
    // The first write waits for the primary election.
    for (;;) {
      const r = await http('POST', `${registry.url}/subjects/sec-value/versions`, { schema }, ct);
      if (r.status === 200) {
        id = (r.json as { id: unknown }).id;
        break;
      }
      assert.ok(Date.now() < deadline, `register: HTTP ${r.status} ${r.text}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(typeof id, 'number');
    const got = await http('GET', `${registry.url}/schemas/ids/${String(id)}`);
    expectStatus(got, 200, 'schema by id');
    const offsets = await http('GET', `${proxy.url}/topics/_schemas/partitions/0/offsets`, undefined, basic('admin', 'admin-secret'));
    expectStatus(offsets, 200, '_schemas offsets');
    assert.ok((offsets.json as { end_offset: number }).end_offset >= 1, 'the schema is stored in _schemas');
  } finally {
    await registry.stop();
  }
});
