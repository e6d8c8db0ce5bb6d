/**
 * Real clients over TLS and SASL against one broker with PLAINTEXT, SSL, SASL_PLAINTEXT and
 * SASL_SSL listeners (certificates made with openssl by the test): kcat, confluent-kafka-python
 * (librdkafka), kafka-python, kafkajs and @platformatic/kafka, each where it supports the combination:
 * - produce then consume round trips with good credentials, and the session's principal
 *   (mTLS: from the client certificate through ssl.principal.mapping.rules; SASL: the user);
 * - refusals with no data served: wrong password, unknown user, a certificate from an untrusted
 *   CA, no certificate where one is required, a plaintext client on the TLS port.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Consumer as PltConsumer, MessagesStreamModes, Producer as PltProducer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { readFileSync } from 'node:fs';
import { startBroker } from '../../src/index.js';
import { KCAT } from '../helpers/compat.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { DEBIAN_PYTHON, runProcess } from '../helpers/run-process.js';
import { setScramCredentials, startSecureBroker, type SecureBroker } from '../helpers/security.js';
import { WireClient } from '../helpers/wire.js';

const ROUND_TRIP = fileURLToPath(new URL('../../../test/security/round-trip.py', import.meta.url));

let certs: TestCerts;
let b: SecureBroker;

before(async () => {
  certs = makeTestCerts();
  b = await startSecureBroker(certs);
  const results = await setScramCredentials(b.port('PLAINTEXT'), [
    { name: 'scram256', password: 'pw-256', mechanism: 'SCRAM-SHA-256' },
    { name: 'scram512', password: 'pw-512', mechanism: 'SCRAM-SHA-512' },
  ]);
  assert.ok(results.every((r) => r.errorCode === 0), JSON.stringify(results));
});

after(async () => {
  try {
    // A failed `before` leaves them unset: still remove what was made.
    await (b as SecureBroker | undefined)?.stop();
  } finally {
    (certs as TestCerts | undefined)?.remove();
  }
});

type Listener = 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
/** librdkafka-style client settings for one combination. */
function security(kind: 'ssl' | 'mtls' | 'plain' | 'scram256' | 'scram512', password?: string): { listener: Listener; props: Record<string, string> } {
  const ca = { 'ssl.ca.location': certs.caFile };
  switch (kind) {
    case 'ssl':
      return { listener: 'SSL', props: { 'security.protocol': 'SSL', ...ca } };
    case 'mtls': {
      const c = certs.client('alice');
      return { listener: 'SSL', props: { 'security.protocol': 'SSL', ...ca, 'ssl.certificate.location': c.certFile, 'ssl.key.location': c.keyFile } };
    }
    case 'plain':
      return { listener: 'SASL_PLAINTEXT', props: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': password ?? 'alice-secret' } };
    case 'scram256':
      return { listener: 'SASL_SSL', props: { 'security.protocol': 'SASL_SSL', ...ca, 'sasl.mechanism': 'SCRAM-SHA-256', 'sasl.username': 'scram256', 'sasl.password': password ?? 'pw-256' } };
    case 'scram512':
      return { listener: 'SASL_SSL', props: { 'security.protocol': 'SASL_SSL', ...ca, 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': 'scram512', 'sasl.password': password ?? 'pw-512' } };
  }
}

const PRINCIPAL: Record<string, string> = { ssl: 'User:ANONYMOUS', mtls: 'User:alice', plain: 'User:alice', scram256: 'User:scram256', scram512: 'User:scram512' };

function kcatArgs(props: Record<string, string>): string[] {
  return Object.entries(props).flatMap(([k, v]) => ['-X', `${k === 'sasl.mechanism' ? 'sasl.mechanisms' : k}=${v}`]);
}

let topicSeq = 0;

for (const kind of ['ssl', 'mtls', 'plain', 'scram256', 'scram512'] as const) {
  test(`kcat ${kind}: produce and consume; principal ${PRINCIPAL[kind]}`, { timeout: 90_000 }, async () => {
    const { listener, props } = security(kind);
    const bootstrap = `127.0.0.1:${b.port(listener)}`;
    const topic = `kcat-${kind}-${++topicSeq}`;
    const p = await runProcess(KCAT, ['-P', '-b', bootstrap, '-t', topic, ...kcatArgs(props)], { input: 'a\nb\nc\n', timeoutMs: 30_000 });
    assert.equal(p.code, 0, p.stderr);
    const c = await runProcess(KCAT, ['-C', '-b', bootstrap, '-t', topic, '-e', '-f', '%s\\n', ...kcatArgs(props)], { timeoutMs: 30_000 });
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.toString().trim().split('\n'), ['a', 'b', 'c']);
    assert.ok(b.authorizer.principals(listener).has(PRINCIPAL[kind] as string), `principals on ${listener}: ${[...b.authorizer.principals(listener)].join(', ')}`);
  });
}

for (const [client, kind] of [['confluent', 'scram256'], ['confluent', 'mtls'], ['confluent', 'plain'], ['kafka-python', 'plain'], ['kafka-python', 'scram512'], ['kafka-python', 'ssl']] as const) {
  test(`${client} ${kind}: produce, consume through a group, commit`, { timeout: 90_000 }, async () => {
    const { listener, props } = security(kind);
    const topic = `${client}-${kind}-${++topicSeq}`;
    const cfg = { client, bootstrap: `127.0.0.1:${b.port(listener)}`, topic, group: `g-${topic}`, count: 5, security: props };
    const r = await runProcess(DEBIAN_PYTHON, [ROUND_TRIP, JSON.stringify(cfg)], { timeoutMs: 80_000 });
    const out = JSON.parse(r.stdout.toString().trim().split('\n').pop() ?? '{}') as { error?: string; consumed?: string[] };
    assert.equal(out.error, undefined, `${out.error}\n${r.stderr.slice(-2000)}`);
    assert.deepEqual(out.consumed, ['v0', 'v1', 'v2', 'v3', 'v4']);
  });
}

function kafkajsFor(kind: 'ssl' | 'mtls' | 'plain' | 'scram256', password?: string): Kafka {
  const { listener, props } = security(kind, password);
  const ssl = props['security.protocol']?.endsWith('SSL') === true ? { ca: [readFileSync(certs.caFile)], ...(kind === 'mtls' ? { cert: readFileSync(certs.client('alice').certFile), key: readFileSync(certs.client('alice').keyFile) } : {}) } : undefined;
  const mechanism = props['sasl.mechanism'];
  const sasl = mechanism === undefined ? undefined : ({ mechanism: mechanism.toLowerCase(), username: props['sasl.username'], password: props['sasl.password'] } as SASLOptions);
  return new Kafka({ clientId: `kafkajs-${kind}`, brokers: [`127.0.0.1:${b.port(listener)}`], logLevel: logLevel.NOTHING, retry: { retries: 1 }, ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) });
}

for (const kind of ['ssl', 'mtls', 'plain', 'scram256'] as const) {
  test(`kafkajs ${kind}: produce and consume through a group`, { timeout: 90_000 }, async () => {
    const kafka = kafkajsFor(kind);
    const topic = `kafkajs-${kind}-${++topicSeq}`;
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ value: 'x' }, { value: 'y' }] });
    } finally {
      await producer.disconnect();
    }
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    try {
      const got: string[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value?.toString() ?? '');
            if (got.length === 2) resolve();
          },
        });
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`consumed only ${got.join(',')}`)), 60_000)))]);
      clearTimeout(timer);
      assert.deepEqual(got, ['x', 'y']);
    } finally {
      await consumer.disconnect();
    }
  });
}

for (const kind of ['mtls', 'scram256', 'plain'] as const) {
  test(`@platformatic/kafka ${kind}: produce and consume through a group`, { timeout: 90_000 }, async () => {
    const { listener, props } = security(kind);
    const tls = props['security.protocol']?.endsWith('SSL') === true ? { ca: [readFileSync(certs.caFile)], ...(kind === 'mtls' ? { cert: readFileSync(certs.client('alice').certFile), key: readFileSync(certs.client('alice').keyFile) } : {}) } : undefined;
    const mechanism = props['sasl.mechanism'];
    const sasl = mechanism === undefined ? undefined : { mechanism: mechanism as 'PLAIN' | 'SCRAM-SHA-256', username: props['sasl.username'] as string, password: props['sasl.password'] as string };
    const common = { bootstrapBrokers: [`127.0.0.1:${b.port(listener)}`], ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}) };
    const topic = `plt-${kind}-${++topicSeq}`;
    const producer = new PltProducer({ clientId: `plt-${kind}`, serializers: stringSerializers, autocreateTopics: true, ...common });
    try {
      await producer.send({ messages: [{ topic, value: 'p1' }, { topic, value: 'p2' }] });
    } finally {
      await producer.close();
    }
    const consumer = new PltConsumer({ clientId: `plt-${kind}-c`, groupId: `g-${topic}`, deserializers: stringDeserializers, ...common });
    try {
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      const got: string[] = [];
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        (async () => {
          for await (const m of stream) {
            got.push(String(m.value));
            if (got.length === 2) break;
          }
        })(),
        new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error(`consumed only ${got.join(',')}`)), 60_000))),
      ]);
      clearTimeout(timer);
      assert.deepEqual(got, ['p1', 'p2']);
    } finally {
      await consumer.close(true);
    }
    assert.ok(b.authorizer.principals(listener).has(PRINCIPAL[kind] as string));
  });
}

test('refused: wrong password, unknown user (PLAIN and SCRAM), with SASL_AUTHENTICATION_FAILED and no data', { timeout: 90_000 }, async () => {
  const cases: [string, Record<string, string>, Listener][] = [
    ['PLAIN wrong password', security('plain', 'nope').props, 'SASL_PLAINTEXT'],
    ['PLAIN unknown user', { ...security('plain').props, 'sasl.username': 'nobody' }, 'SASL_PLAINTEXT'],
    ['SCRAM-SHA-256 wrong password', security('scram256', 'nope').props, 'SASL_SSL'],
    ['SCRAM-SHA-512 unknown user', { ...security('scram512').props, 'sasl.username': 'nobody' }, 'SASL_SSL'],
  ];
  for (const [what, props, listener] of cases) {
    const r = await runProcess(KCAT, ['-L', '-b', `127.0.0.1:${b.port(listener)}`, '-m', '5', ...kcatArgs(props)], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0, `${what}: kcat exited 0\n${r.stdout.toString()}`);
    assert.match(r.stderr, /SASL authentication error: Authentication failed/, `${what}: ${r.stderr.slice(-500)}`);
    assert.doesNotMatch(r.stdout.toString(), /topics?:/, `${what}: no metadata served`);
  }
  await assert.rejects(
    async () => {
      const admin = kafkajsFor('plain', 'nope').admin();
      try {
        await admin.connect();
      } finally {
        await admin.disconnect();
      }
    },
    (e: Error) => e.name === 'KafkaJSSASLAuthenticationError' && /SASL_AUTHENTICATION_FAILED|Authentication failed/.test(e.message),
  );
});

test('refused through Python clients: confluent-kafka and kafka-python with a wrong password produce nothing', { timeout: 120_000 }, async () => {
  for (const [client, kind] of [['confluent', 'scram256'], ['kafka-python', 'plain']] as const) {
    const { listener, props } = security(kind, 'wrong-password');
    const topic = `refused-${client}-${++topicSeq}`;
    const cfg = { client, bootstrap: `127.0.0.1:${b.port(listener)}`, topic, group: `g-${topic}`, count: 1, security: props };
    const r = await runProcess(DEBIAN_PYTHON, [ROUND_TRIP, JSON.stringify(cfg)], { timeoutMs: 80_000 });
    const out = JSON.parse(r.stdout.toString().trim().split('\n').pop() ?? '{}') as { error?: string; consumed?: string[] };
    assert.ok(out.error !== undefined, `${client}: no error (${JSON.stringify(out)})`);
    // librdkafka reports the broker's message; kafka-python gives up with NoBrokersAvailable after the failed handshake.
    assert.match(out.error, client === 'confluent' ? /SASL authentication error: Authentication failed/ : /NoBrokersAvailable|Authentication/, `${client}: ${out.error}`);
    const c = await WireClient.connect(b.port('PLAINTEXT'));
    try {
      const md = await c.metadata([topic]);
      assert.notEqual(md.topics[0]?.errorCode, 0, `${client}: topic ${topic} was never created`);
    } finally {
      c.close();
    }
  }
});

test('refused: untrusted client certificate, missing certificate with ssl.client.auth=required, plaintext client on the TLS port', { timeout: 90_000 }, async () => {
  const rogue = await runProcess(KCAT, ['-L', '-b', `127.0.0.1:${b.port('SSL')}`, '-m', '5', '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', `ssl.certificate.location=${certs.rogue.certFile}`, '-X', `ssl.key.location=${certs.rogue.keyFile}`], { timeoutMs: 30_000 });
  assert.notEqual(rogue.code, 0, 'untrusted certificate accepted');
  assert.doesNotMatch(rogue.stdout.toString(), /broker/);
  const plaintext = await runProcess(KCAT, ['-L', '-b', `127.0.0.1:${b.port('SSL')}`, '-m', '5'], { timeoutMs: 30_000 });
  assert.notEqual(plaintext.code, 0, 'plaintext client served on the TLS port');
  assert.match(plaintext.stderr, /Disconnected while requesting ApiVersion|Broker transport failure/);
  // A broker that requires client certificates.
  const strict = await startBroker({
    port: 0,
    config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caFile, 'ssl.client.auth': 'required' },
  });
  try {
    const bootstrap = `127.0.0.1:${strict.port}`;
    const none = await runProcess(KCAT, ['-L', '-b', bootstrap, '-m', '5', '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`], { timeoutMs: 30_000 });
    assert.notEqual(none.code, 0, 'no client certificate accepted');
    const alice = certs.client('alice');
    const ok = await runProcess(KCAT, ['-L', '-b', bootstrap, '-m', '10', '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', `ssl.certificate.location=${alice.certFile}`, '-X', `ssl.key.location=${alice.keyFile}`], { timeoutMs: 30_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout.toString(), /1 brokers/);
  } finally {
    await strict.stop();
  }
});
