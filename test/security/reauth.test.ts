/**
 * Re-authentication (KIP-368, Kafka's SaslServerAuthenticator / KafkaChannel rules):
 * - SaslAuthenticate v1+ answers session_lifetime_ms: connections.max.reauth.ms of the mechanism
 *   (listener.name.<l>.<mechanism>. prefix first), bounded by an OAUTHBEARER token's remaining
 *   lifetime (which bounds it alone when connections.max.reauth.ms is 0);
 * - SaslHandshake + SaslAuthenticate on the live connection re-authenticate and extend the
 *   session (at most once a second); a different principal or mechanism fails and closes;
 * - after expiry, any other request closes the connection without an answer.
 * The wire rules run on a broker driven by a ManualScheduler (no sleeping); real clients on a
 * broker in real time: kafkajs re-authenticates on its connection, librdkafka 2.0.2 (before its
 * KIP-368 support, 2.2.0) is disconnected at expiry and reconnects without losing a message.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { ManualScheduler, startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { DEBIAN_PYTHON, runProcess } from '../helpers/run-process.js';
import { OAUTH_LOGIN_MODULE, oauthMessage, unsecuredToken } from '../helpers/oauth.js';
import { PLAIN_JAAS } from '../helpers/security.js';
import { waitFor, WireClient } from '../helpers/wire.js';
import { scrape } from '../helpers/metrics.js';

const OAUTH_CLIENT = fileURLToPath(new URL('../../../test/security/oauth-client.py', import.meta.url));
const OAUTH_JAAS = `${OAUTH_LOGIN_MODULE} required ;`;
const plain = (user: string, password = `${user}-secret`): Buffer => Buffer.from(`\u0000${user}\u0000${password}`, 'utf8');

let manual: ManualScheduler;
let wire: RunningBroker;

function port(b: RunningBroker, listener: string): number {
  const l = b.broker.listeners.find((x) => x.name === listener);
  if (l === undefined) throw new Error(`no ${listener} listener`);
  return l.port;
}

before(async () => {
  manual = new ManualScheduler(1_700_000_000_000);
  wire = await startBroker({
    port: 0,
    scheduler: manual,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0,NOREAUTH://127.0.0.1:0',
      'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,NOREAUTH:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
      'listener.name.noreauth.plain.sasl.jaas.config': PLAIN_JAAS,
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': OAUTH_JAAS,
      'listener.name.noreauth.oauthbearer.sasl.jaas.config': OAUTH_JAAS,
      'listener.name.sasl_plaintext.connections.max.reauth.ms': '5000',
      'listener.name.sasl_plaintext.plain.connections.max.reauth.ms': '2000',
      'connection.failed.authentication.delay.ms': '0',
      'metrics.listeners': 'http://127.0.0.1:0',
    },
  });
});

after(async () => {
  await (wire as RunningBroker | undefined)?.stop();
});

/** A token valid from the broker's (manual) now for `lifetimeMs`. */
function token(sub: string, lifetimeMs: number): string {
  const now = manual.now() / 1000;
  return unsecuredToken({ sub, iat: Math.floor(now), exp: now + lifetimeMs / 1000 });
}

interface Authenticated {
  c: WireClient;
  lifetime: bigint;
}

async function login(listenerPort: number, mechanism: 'PLAIN' | 'OAUTHBEARER', bytes: Buffer, version = 2): Promise<Authenticated> {
  const c = await WireClient.connect(listenerPort);
  const hs = await c.request(17, 1, { mechanism });
  assert.equal(hs.errorCode, 0);
  const auth = await c.request(36, version, { authBytes: bytes });
  assert.equal(auth.errorCode, 0, auth.errorMessage);
  return { c, lifetime: auth.sessionLifetimeMs as bigint };
}

async function reauth(c: WireClient, mechanism: string, bytes: Buffer): Promise<{ handshake: number; errorCode: number; errorMessage: string | null; lifetime: bigint }> {
  const hs = await c.request(17, 1, { mechanism });
  if (hs.errorCode !== 0) return { handshake: hs.errorCode, errorCode: -1, errorMessage: null, lifetime: 0n };
  const auth = await c.request(36, 2, { authBytes: bytes });
  return { handshake: 0, errorCode: auth.errorCode, errorMessage: auth.errorMessage, lifetime: auth.sessionLifetimeMs as bigint };
}

const served = async (c: WireClient): Promise<boolean> => c.metadata(null).then(() => true, () => false);

test('session_lifetime_ms: connections.max.reauth.ms per mechanism, bounded by the OAUTHBEARER token, which alone bounds it without the setting', { timeout: 60_000 }, async () => {
  const p = port(wire, 'SASL_PLAINTEXT');
  const n = port(wire, 'NOREAUTH');
  const cases: [string, Promise<Authenticated>, bigint][] = [
    ['PLAIN, listener.name.sasl_plaintext.plain.connections.max.reauth.ms', login(p, 'PLAIN', plain('alice')), 2000n],
    ['PLAIN, SaslAuthenticate v1', login(p, 'PLAIN', plain('alice'), 1), 2000n],
    ['OAUTHBEARER, listener.name.sasl_plaintext.connections.max.reauth.ms', login(p, 'OAUTHBEARER', oauthMessage(token('alice', 60_000))), 5000n],
    ['OAUTHBEARER, token expiring first', login(p, 'OAUTHBEARER', oauthMessage(token('alice', 3000))), 3000n],
    ['PLAIN without the setting: no lifetime', login(n, 'PLAIN', plain('alice')), 0n],
    ['OAUTHBEARER without the setting: the token lifetime', login(n, 'OAUTHBEARER', oauthMessage(token('alice', 7000))), 7000n],
  ];
  for (const [what, pending, expected] of cases) {
    const { c, lifetime } = await pending;
    assert.equal(lifetime, expected, what);
    c.close();
  }
});

test('re-authenticating on the live connection extends the session; after expiry the next request closes the connection unanswered', { timeout: 60_000 }, async () => {
  const { c } = await login(port(wire, 'SASL_PLAINTEXT'), 'PLAIN', plain('alice'));
  try {
    manual.advance(1500);
    const r = await reauth(c, 'PLAIN', plain('alice'));
    assert.deepEqual([r.handshake, r.errorCode, r.lifetime], [0, 0, 2000n]);
    manual.advance(1500); // 3000 ms after the first authentication: past its session, within the new one
    assert.equal(await served(c), true, 'the extended session serves requests');
    manual.advance(600); // 2100 ms after the re-authentication
    assert.equal(await served(c), false, 'no answer after expiry');
    assert.equal(await c.waitClosed(10_000), true, 'closed');
  } finally {
    c.close();
  }
  // An expired session may still re-authenticate (the handshake is not "any other request").
  const d = (await login(port(wire, 'SASL_PLAINTEXT'), 'PLAIN', plain('alice'))).c;
  try {
    manual.advance(2500);
    const r = await reauth(d, 'PLAIN', plain('alice'));
    assert.deepEqual([r.handshake, r.errorCode], [0, 0]);
    assert.equal(await served(d), true);
  } finally {
    d.close();
  }
  // Without a lifetime the session never expires, and SaslHandshake stays ILLEGAL_SASL_STATE.
  const e = (await login(port(wire, 'NOREAUTH'), 'PLAIN', plain('alice'))).c;
  try {
    manual.advance(9 * 60_000); // long past any lifetime, within connections.max.idle.ms
    assert.equal(await served(e), true);
    assert.equal((await e.request(17, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  } finally {
    e.close();
  }
});

test('re-authentication: at most once a second; another principal or mechanism fails and closes; other requests meanwhile close', { timeout: 60_000 }, async () => {
  const p = port(wire, 'SASL_PLAINTEXT');
  const { c } = await login(p, 'PLAIN', plain('alice'));
  try {
    assert.equal((await reauth(c, 'PLAIN', plain('alice'))).errorCode, 0);
    assert.equal((await c.request(17, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'a second re-authentication within a second');
    manual.advance(1000);
    assert.equal((await reauth(c, 'PLAIN', plain('alice'))).errorCode, 0, 'a second later');
  } finally {
    c.close();
  }
  const bob = (await login(p, 'PLAIN', plain('alice'))).c;
  try {
    const r = await reauth(bob, 'PLAIN', plain('admin'));
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(r.errorMessage, 'Cannot change principals during re-authentication from User.alice: User.admin');
    assert.equal(await bob.waitClosed(10_000), true);
  } finally {
    bob.close();
  }
  const mech = (await login(p, 'PLAIN', plain('alice'))).c;
  try {
    const r = await reauth(mech, 'OAUTHBEARER', oauthMessage(token('alice', 60_000)));
    assert.equal(r.handshake, 0, 'the handshake is answered (Kafka fails the next step)');
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(r.errorMessage, "SASL mechanism 'OAUTHBEARER' requested by client is not supported for re-authentication of mechanism 'PLAIN'");
    assert.equal(await mech.waitClosed(10_000), true);
  } finally {
    mech.close();
  }
  const mid = (await login(p, 'PLAIN', plain('alice'))).c;
  try {
    assert.equal((await mid.request(17, 1, { mechanism: 'PLAIN' })).errorCode, 0);
    assert.equal(await served(mid), false, 'a Metadata request during re-authentication');
    assert.equal(await mid.waitClosed(10_000), true);
  } finally {
    mid.close();
  }
});

test('metrics: re-authentications, failed re-authentications and expired connections killed, per listener (Kafka socket-server-metrics)', { timeout: 30_000 }, async () => {
  // What the tests above did on SASL_PLAINTEXT: 4 re-authentications, 2 failed, 1 expired session closed.
  const url = wire.broker.observability?.listeners[0]?.url;
  assert.ok(url !== undefined);
  const m = await scrape(url);
  const value = (name: string) => m.value(`kafka_server_socketservermetrics_${name}`, { listener: 'SASL_PLAINTEXT' });
  assert.deepEqual([value('successful_reauthentication_total'), value('failed_reauthentication_total'), value('expired_connections_killed_total')], [4, 2, 1]);
  assert.equal(value('failed_authentication_total'), 0, 'failed re-authentications are not failed authentications');
});

/** A broker in real time with short sessions, its log lines kept. */
async function realTimeBroker(lines: string[]): Promise<RunningBroker> {
  return startBroker({
    port: 0,
    logger: { sink: (line) => lines.push(line), level: 'debug' },
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': OAUTH_JAAS,
      'connections.max.reauth.ms': '2500',
      'num.partitions': '1',
    },
  });
}

test('kafkajs re-authenticates on its connection before the session expires (PLAIN and OAUTHBEARER)', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const b = await realTimeBroker(lines);
  try {
    for (const sasl of [
      { mechanism: 'plain' as const, username: 'alice', password: 'alice-secret' },
      { mechanism: 'oauthbearer' as const, oauthBearerProvider: async () => ({ value: unsecuredToken({ sub: 'alice', iat: Math.floor(Date.now() / 1000), exp: Date.now() / 1000 + 60 }) }) },
    ]) {
      const before = lines.filter((l) => l.includes('re-authenticated as User:alice')).length;
      const kafka = new Kafka({ clientId: 'reauth', brokers: [b.bootstrap], sasl, logLevel: logLevel.NOTHING, reauthenticationThreshold: 1000 });
      const producer = kafka.producer();
      await producer.connect();
      try {
        let sent = 0;
        await waitFor(async () => {
          await producer.send({ topic: `reauth-${sasl.mechanism}`, messages: [{ value: `v${sent++}` }] });
          return lines.filter((l) => l.includes('re-authenticated as User:alice')).length - before >= 2;
        }, 60_000, `${sasl.mechanism}: two re-authentications`, 200);
        console.log(`${sasl.mechanism}: ${sent} sends, re-authenticated twice`);
      } finally {
        await producer.disconnect();
      }
    }
    assert.equal(lines.filter((l) => l.includes('SASL session expired')).length, 0, 'no session expired: kafkajs re-authenticated in time');
  } finally {
    await b.stop();
  }
});

test('confluent-kafka (librdkafka 2.0.2, no re-authentication): the expired session is closed and the client reconnects without losing a message', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const b = await realTimeBroker(lines);
  try {
    const cfg = {
      config: { 'bootstrap.servers': b.bootstrap, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': 'alice-secret', 'message.timeout.ms': 30000 },
      topic: 'reauth-librdkafka',
      count: 20,
      interval_ms: 400,
      deadline_s: 40,
    };
    const r = await runProcess(DEBIAN_PYTHON, [OAUTH_CLIENT, JSON.stringify(cfg)], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.toString('utf8').trim().split('\n').pop() ?? '{}') as { delivered: number; failed: number };
    assert.equal(out.delivered, 20, JSON.stringify(out));
    assert.ok(lines.some((l) => l.includes('SASL session expired')), 'the broker closed an expired session');
  } finally {
    await b.stop();
  }
});
