/**
 * Certificate reload without a restart (Kafka's dynamic per-listener SSL configs): a broker with
 * a PLAINTEXT listener (for the admin requests), an SSL listener and an mTLS listener (SSL with
 * ssl.client.auth=required), key material from CA1.
 * - kafkajs admin AlterConfigs sets listener.name.ssl.ssl.keystore.location to a certificate from
 *   CA2: new clients trusting CA2 connect, new clients trusting only CA1 are refused, and a
 *   producer connected before keeps working on its connection;
 * - IncrementalAlterConfigs refuses bad material (a key that does not match its certificate, a
 *   missing file, another subject) with INVALID_CONFIG, the cluster-default resource with
 *   INVALID_REQUEST, and changes nothing; validate_only changes nothing;
 * - the trust store: listener.name.mtls.ssl.truststore.location set to CA2 admits CA2 client
 *   certificates and refuses CA1 ones; inline PEM (ssl.keystore.certificate.chain / .key) works.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { makeReloadCerts, type ReloadCerts } from '../helpers/reload-certs.js';
import { WireClient } from '../helpers/wire.js';

const BROKER = 4; // ConfigResource.Type.BROKER

let certs: ReloadCerts;
let broker: RunningBroker;

function port(listener: string): number {
  const l = broker.broker.listeners.find((x) => x.name === listener);
  if (l === undefined) throw new Error(`no ${listener} listener`);
  return l.port;
}

before(async () => {
  certs = makeReloadCerts();
  broker = await startBroker({
    port: 0,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.server1,
      'listener.name.mtls.ssl.client.auth': 'required',
      'listener.name.mtls.ssl.truststore.type': 'PEM',
      'listener.name.mtls.ssl.truststore.location': certs.ca1,
      'num.partitions': '1',
    },
  });
});

after(async () => {
  try {
    await (broker as RunningBroker | undefined)?.stop();
  } finally {
    (certs as ReloadCerts | undefined)?.remove();
  }
});

function client(listener: string, ca: string, cert?: { cert: string; key: string }): Kafka {
  return new Kafka({
    clientId: 'tls-reload',
    brokers: [`localhost:${port(listener)}`],
    ssl: { ca: [readFileSync(ca, 'utf8')], servername: 'localhost', ...(cert ?? {}) },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 5000,
  });
}

/** 'ok' once a fresh producer sent a message, else the error. */
async function produceFresh(k: Kafka, topic: string): Promise<string> {
  const p = k.producer({ retry: { retries: 0 } });
  try {
    await p.connect();
    await p.send({ topic, messages: [{ value: 'x' }] });
    return 'ok';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await p.disconnect().catch(() => undefined);
  }
}

async function incremental(resourceName: string, configs: [string, string | null][], validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null }> {
  const c = await WireClient.connect(port('PLAINTEXT'));
  try {
    const res = await c.request(44, 1, {
      resources: [{ resourceType: BROKER, resourceName, configs: configs.map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
      validateOnly,
    });
    return res.responses[0];
  } finally {
    c.close();
  }
}

test('AlterConfigs (kafkajs admin) swaps the SSL listener to a CA2 certificate: new connections get it, an open one keeps working', { timeout: 120_000 }, async () => {
  const old: Producer = client('SSL', certs.ca1).producer({ retry: { retries: 0 } });
  await old.connect();
  try {
    await old.send({ topic: 'reload', messages: [{ value: 'before' }] });
    assert.notEqual(await produceFresh(client('SSL', certs.ca2), 'reload'), 'ok', 'a client trusting only CA2 is refused before the change');
    const plainAdmin = new Kafka({ clientId: 'tls-reload-admin', brokers: [`127.0.0.1:${port('PLAINTEXT')}`], logLevel: logLevel.NOTHING }).admin();
    await plainAdmin.connect();
    try {
      await plainAdmin.alterConfigs({
        validateOnly: false,
        resources: [{ type: BROKER, name: '1', configEntries: [{ name: 'listener.name.ssl.ssl.keystore.location', value: certs.server2 }] }],
      });
    } finally {
      await plainAdmin.disconnect();
    }
    assert.equal(await produceFresh(client('SSL', certs.ca2), 'reload'), 'ok', 'a new client trusting CA2 connects');
    assert.match(await produceFresh(client('SSL', certs.ca1), 'reload'), /certificate|self.signed|verify/i, 'a new client trusting only CA1 is refused');
    await old.send({ topic: 'reload', messages: [{ value: 'after' }] });
    // The other TLS listener still has CA1's certificate (the change was for listener SSL only).
    assert.equal(await produceFresh(client('MTLS', certs.ca1, certs.client1), 'reload'), 'ok');
  } finally {
    await old.disconnect();
  }
});

test('IncrementalAlterConfigs refuses bad key material (INVALID_CONFIG) and the cluster default (INVALID_REQUEST), changing nothing', { timeout: 120_000 }, async () => {
  const bad: [string, [string, string | null][], number, RegExp][] = [
    ['a key that does not match its certificate', [['listener.name.ssl.ssl.keystore.location', certs.mismatched]], ErrorCode.INVALID_CONFIG, /key|values mismatch/i],
    ['a missing file', [['listener.name.ssl.ssl.keystore.location', join(certs.dir, 'nope.pem')]], ErrorCode.INVALID_CONFIG, /nope\.pem/],
    ['another subject', [['listener.name.ssl.ssl.keystore.location', certs.otherSubject]], ErrorCode.INVALID_CONFIG, /DistinguishedName does not match/],
    ['a truststore that is not PEM', [['listener.name.mtls.ssl.truststore.type', 'JKS']], ErrorCode.INVALID_CONFIG, /truststore\.type/],
  ];
  for (const [what, configs, code, message] of bad) {
    const r = await incremental('1', configs);
    assert.equal(r.errorCode, code, `${what}: ${r.errorMessage}`);
    assert.match(r.errorMessage ?? '', message, what);
  }
  const clusterDefault = await incremental('', [['ssl.keystore.location', certs.server2]]);
  assert.equal(clusterDefault.errorCode, ErrorCode.INVALID_REQUEST);
  assert.match(clusterDefault.errorMessage ?? '', /broker id must be specified/);
  const notDynamic = await incremental('1', [['listener.name.ssl.ssl.client.auth', 'required']]);
  assert.equal(notDynamic.errorCode, ErrorCode.INVALID_REQUEST);
  const validateOnly = await incremental('1', [['listener.name.ssl.ssl.keystore.location', certs.server1]], true);
  assert.equal(validateOnly.errorCode, ErrorCode.NONE);
  // Still CA2's certificate on SSL (the previous test's), CA1's on MTLS.
  assert.equal(await produceFresh(client('SSL', certs.ca2), 'reload'), 'ok');
  assert.equal(await produceFresh(client('MTLS', certs.ca1, certs.client1), 'reload'), 'ok');
});

test('IncrementalAlterConfigs: a new trust store for the mTLS listener admits CA2 client certificates, and inline PEM key material applies', { timeout: 120_000 }, async () => {
  assert.notEqual(await produceFresh(client('MTLS', certs.ca1, certs.client2), 'reload'), 'ok', "CA2's client is not trusted yet");
  const r = await incremental('1', [['listener.name.mtls.ssl.truststore.location', certs.ca2]]);
  assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
  assert.equal(await produceFresh(client('MTLS', certs.ca1, certs.client2), 'reload'), 'ok', "CA2's client is trusted now");
  assert.notEqual(await produceFresh(client('MTLS', certs.ca1, certs.client1), 'reload'), 'ok', "CA1's client is not any more");
  // Inline PEM (Kafka's form) for the MTLS listener's key store; the SSL listener's setting is kept (incremental).
  const inline = await incremental('1', [
    ['listener.name.mtls.ssl.keystore.certificate.chain', certs.server2Chain],
    ['listener.name.mtls.ssl.keystore.key', certs.server2Key],
    ['listener.name.mtls.ssl.keystore.location', ''],
  ]);
  assert.equal(inline.errorCode, ErrorCode.NONE, inline.errorMessage ?? '');
  assert.equal(await produceFresh(client('MTLS', certs.ca2, certs.client2), 'reload'), 'ok', 'the inline CA2 certificate is served');
  assert.equal(await produceFresh(client('SSL', certs.ca2), 'reload'), 'ok');
  // DescribeConfigs lists the listener-prefixed dynamic settings, sensitive ones without their value.
  const c = await WireClient.connect(port('PLAINTEXT'));
  try {
    const res = await c.request(32, 4, { resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    const entries = new Map<string, { value: string | null; configSource: number; isSensitive: boolean }>(res.results[0].configs.map((e: { name: string }) => [e.name, e]));
    assert.deepEqual(entries.get('listener.name.ssl.ssl.keystore.location'), { ...entries.get('listener.name.ssl.ssl.keystore.location'), value: certs.server2, configSource: 2, isSensitive: false });
    assert.deepEqual(entries.get('listener.name.mtls.ssl.keystore.key'), { ...entries.get('listener.name.mtls.ssl.keystore.key'), value: null, configSource: 2, isSensitive: true });
  } finally {
    c.close();
  }
});
