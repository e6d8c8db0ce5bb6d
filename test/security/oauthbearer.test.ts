/**
 * SASL/OAUTHBEARER (KIP-255, KIP-768) against a broker with three SASL_PLAINTEXT listeners, ACLs
 * on (StandardAuthorizer, super.users=User:admin):
 * - UNSECURED: Kafka's default validator (unsecured JWS, `alg: none`), configured by its JAAS
 *   options (required scope `kafka`);
 * - JWKS: Kafka's OAuthBearerValidatorCallbackHandler with a JWKS served over HTTP by the test
 *   (RS256 and ES256 keys), expected audience and issuer;
 * - JWKSFILE: the same with a `file:` JWKS URL and the `secured` package's class name.
 * Real clients (kafkajs with an oauthBearerProvider, confluent-kafka with librdkafka's built-in
 * unsecured JWT) and the wire exchange (the RFC 7628 error challenge, then
 * SASL_AUTHENTICATION_FAILED) for each kind of refused token.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { DEBIAN_PYTHON, runProcess } from '../helpers/run-process.js';
import { KCAT } from '../helpers/compat.js';
import { claimsFor, JWKS_HANDLER, OAUTH_LOGIN_MODULE, oauthMessage, serveJwks, signingKey, unsecuredToken, type JwksServer, type SigningKey } from '../helpers/oauth.js';
import { WireClient } from '../helpers/wire.js';

const OAUTH_CLIENT = fileURLToPath(new URL('../../../test/security/oauth-client.py', import.meta.url));
const TOPIC = 'oauth-acls';
const AUDIENCE = 'samsa-test';
const ISSUER = 'https://issuer.samsa.test';
const DENIED = /TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/;

let broker: RunningBroker;
let jwks: JwksServer;
let rsa: SigningKey;
let ec: SigningKey;
let stranger: SigningKey;
let dir: string;

function port(listener: string): number {
  const l = broker.broker.listeners.find((x) => x.name === listener);
  if (l === undefined) throw new Error(`no ${listener} listener`);
  return l.port;
}

before(async () => {
  rsa = await signingKey('rsa-1', 'RS256');
  ec = await signingKey('ec-1', 'ES256');
  stranger = await signingKey('rsa-1', 'RS256'); // same kid as rsa, different key: a bad signature
  jwks = await serveJwks([rsa.publicJwk, ec.publicJwk]);
  dir = mkdtempSync(join(tmpdir(), 'samsa-oauth-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [rsa.publicJwk] }));
  broker = await startBroker({
    port: 0,
    config: {
      listeners: 'UNSECURED://127.0.0.1:0,JWKS://127.0.0.1:0,JWKSFILE://127.0.0.1:0',
      'listener.security.protocol.map': 'UNSECURED:SASL_PLAINTEXT,JWKS:SASL_PLAINTEXT,JWKSFILE:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'listener.name.unsecured.oauthbearer.sasl.jaas.config': `${OAUTH_LOGIN_MODULE} required unsecuredValidatorRequiredScope="kafka" unsecuredValidatorAllowableClockSkewMs="1000";`,
      'listener.name.jwks.oauthbearer.sasl.jaas.config': `${OAUTH_LOGIN_MODULE} required ;`,
      'listener.name.jwks.oauthbearer.sasl.server.callback.handler.class': JWKS_HANDLER,
      'listener.name.jwks.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': jwks.url,
      'sasl.oauthbearer.expected.audience': AUDIENCE,
      'sasl.oauthbearer.expected.issuer': ISSUER,
      'listener.name.jwksfile.oauthbearer.sasl.jaas.config': `${OAUTH_LOGIN_MODULE} required ;`,
      'listener.name.jwksfile.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
      'listener.name.jwksfile.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwksFile).href,
      'listener.name.jwksfile.sasl.oauthbearer.sub.claim.name': 'client_id',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
      'connection.failed.authentication.delay.ms': '10',
    },
  });
});

after(async () => {
  try {
    await (broker as RunningBroker | undefined)?.stop();
    await (jwks as JwksServer | undefined)?.close();
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
});

function kafka(listener: string, token: () => Promise<string> | string): Kafka {
  return new Kafka({
    clientId: 'oauth-test',
    brokers: [`127.0.0.1:${port(listener)}`],
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

async function produce(k: Kafka, value: string): Promise<string> {
  const producer = k.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: [{ value }] });
    return 'ok';
  } catch (e) {
    const err = e as { type?: string; message?: string };
    return `${err.type ?? ''} ${err.message ?? String(e)}`;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

interface Attempt {
  /** The first SaslAuthenticate answer (error code, message, server bytes). */
  first: { errorCode: number; errorMessage: string | null; authBytes: Buffer };
  /** The answer to the client's 0x01 after an error challenge (null: there was none). */
  second: { errorCode: number; errorMessage: string | null } | null;
  closed: boolean;
}

/** The wire exchange of one OAUTHBEARER attempt; after an error challenge the client answers 0x01 as Kafka's does. */
async function attempt(listenerPort: number, message: Buffer): Promise<Attempt> {
  const c = await WireClient.connect(listenerPort);
  try {
    const hs = await c.request(17, 1, { mechanism: 'OAUTHBEARER' });
    assert.equal(hs.errorCode, 0);
    const first = await c.request(36, 2, { authBytes: message });
    let second: Attempt['second'] = null;
    if (first.errorCode === 0 && first.authBytes.length > 0) second = await c.request(36, 2, { authBytes: Buffer.from([1]) });
    const failed = (second ?? first).errorCode !== 0;
    return { first, second, closed: failed ? await c.waitClosed(10_000) : c.closed };
  } finally {
    c.close();
  }
}

function assertRefused(a: Attempt, challenge: string, what: string): void {
  assert.equal(a.first.errorCode, 0, `${what}: the first answer is the error challenge`);
  assert.equal(a.first.authBytes.toString('utf8'), challenge, what);
  assert.ok(a.second !== null, what);
  assert.equal(a.second.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, what);
  assert.equal(a.second.errorMessage, challenge, what);
  assert.equal(a.closed, true, `${what}: the connection is closed`);
}

test('unsecured JWS (Kafka default validator): kafkajs tokens name the principal the ACLs see', { timeout: 90_000 }, async () => {
  const token = (sub: string) => () => unsecuredToken(claimsFor(sub, Date.now(), 3600, { scope: 'kafka other' }));
  const admin = kafka('UNSECURED', token('admin')).admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] }), true, 'admin is a super user');
    assert.match(await produce(kafka('UNSECURED', token('alice')), 'a0'), DENIED, 'no ACL names alice yet');
    await admin.createAcls({
      acl: [{ resourceType: 2, resourceName: TOPIC, resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 4, permissionType: 3 }],
    });
    assert.equal(await produce(kafka('UNSECURED', token('alice')), 'a1'), 'ok', 'alice holds WRITE');
    assert.match(await produce(kafka('UNSECURED', token('bob')), 'b1'), DENIED, "alice's ACL does not let bob in");
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    assert.equal(offsets[0]?.high, '1');
  } finally {
    await admin.disconnect();
  }
  // A refused token: kafkajs never gets a session.
  const expired = () => unsecuredToken({ sub: 'admin', iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600, scope: 'kafka' });
  assert.notEqual(await produce(kafka('UNSECURED', expired), 'x'), 'ok', 'an expired token is refused');
});

test('unsecured JWS on the wire: each bad token gets the invalid_token challenge, then SASL_AUTHENTICATION_FAILED and a close', { timeout: 90_000 }, async () => {
  const p = port('UNSECURED');
  const now = Math.floor(Date.now() / 1000);
  const good = { sub: 'alice', iat: now, exp: now + 600, scope: ['kafka'] };
  const ok = await attempt(p, oauthMessage(unsecuredToken(good)));
  assert.equal(ok.first.errorCode, 0);
  assert.equal(ok.first.authBytes.length, 0, 'accepted: no challenge');
  assert.equal(ok.closed, false);
  const invalid = '{"status":"invalid_token"}';
  const cases: [string, string][] = [
    ['expired', unsecuredToken({ ...good, iat: now - 600, exp: now - 300 })],
    ['no exp', unsecuredToken({ sub: 'alice', iat: now, scope: 'kafka' })],
    ['no sub', unsecuredToken({ iat: now, exp: now + 600, scope: 'kafka' })],
    ['issued in the future', unsecuredToken({ ...good, iat: now + 120, exp: now + 600 })],
    ['signed (alg RS256)', `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.c2ln`],
    ['malformed', 'abc.def.'],
  ];
  for (const [what, token] of cases) assertRefused(await attempt(p, oauthMessage(token)), invalid, what);
  assertRefused(await attempt(p, oauthMessage(unsecuredToken({ ...good, scope: 'other' }))), '{"status":"insufficient_scope", "scope":"[kafka]"}', 'missing the required scope');
  // No challenge for these: the exchange fails at once.
  const authzid = await attempt(p, oauthMessage(unsecuredToken(good), 'bob'));
  assert.equal(authzid.first.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(authzid.first.errorMessage ?? '', /authorization id \(bob\) that is different from the token's principal name \(alice\)/);
  const garbage = await attempt(p, Buffer.from('not a gs2 message'));
  assert.equal(garbage.first.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(garbage.first.errorMessage ?? '', /Invalid OAUTHBEARER client first message/);
  const basic = await attempt(p, Buffer.from(`n,,\u0001auth=Basic ${unsecuredToken(good)}\u0001\u0001`));
  assert.match(basic.first.errorMessage ?? '', /Invalid scheme in OAUTHBEARER client first message: Basic/);
});

test("confluent-kafka with librdkafka's unsecured JWT: produces as admin; a token without the required scope is refused", { timeout: 120_000 }, async () => {
  const run = async (oauthConfig: string) => {
    const cfg = {
      config: {
        'bootstrap.servers': `127.0.0.1:${port('UNSECURED')}`,
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanisms': 'OAUTHBEARER',
        'enable.sasl.oauthbearer.unsecure.jwt': true,
        'sasl.oauthbearer.config': oauthConfig,
        'message.timeout.ms': 8000,
      },
      topic: TOPIC,
      count: 3,
      interval_ms: 0,
      deadline_s: 20,
    };
    const r = await runProcess(DEBIAN_PYTHON, [OAUTH_CLIENT, JSON.stringify(cfg)], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.toString('utf8').trim().split('\n').pop() ?? '{}') as { delivered: number; failed: number; errors: string[] };
  };
  const good = await run('principal=admin scope=kafka');
  assert.equal(good.delivered, 3, JSON.stringify(good));
  const bad = await run('principal=admin scope=other');
  assert.equal(bad.delivered, 0, JSON.stringify(bad));
  assert.ok(bad.errors.some((e) => e.includes('insufficient_scope')), `librdkafka reports the broker's challenge: ${JSON.stringify(bad.errors)}`);
});

test("kcat (librdkafka's unsecured JWT): produce and consume as admin", { timeout: 90_000 }, async () => {
  const args = ['-b', `127.0.0.1:${port('UNSECURED')}`, '-t', 'oauth-kcat', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=admin scope=kafka'];
  const p = await runProcess(KCAT, ['-P', ...args], { input: 'k1\nk2\n', timeoutMs: 30_000 });
  assert.equal(p.code, 0, p.stderr);
  const c = await runProcess(KCAT, ['-C', '-e', '-f', '%s\\n', ...args], { timeoutMs: 30_000 });
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(c.stdout.toString('utf8').trim().split('\n'), ['k1', 'k2']);
  const denied = await runProcess(KCAT, ['-L', '-m', '5', ...args.slice(0, -1), 'sasl.oauthbearer.config=principal=admin scope=none'], { timeoutMs: 30_000 });
  assert.notEqual(denied.code, 0, 'a token without the required scope gets no metadata');
  assert.match(denied.stderr, /insufficient_scope/, denied.stderr);
});

test('JWKS (KIP-768): RS256 and ES256 tokens verified with the served JWKS; the sub is the principal the ACLs see', { timeout: 90_000 }, async () => {
  const claims = (sub: string) => ({ ...claimsFor(sub, Date.now(), 600), aud: AUDIENCE, iss: ISSUER });
  assert.equal(await produce(kafka('JWKS', () => rsa.sign(claims('admin'))), 'j-admin'), 'ok', 'RS256, super user');
  assert.equal(await produce(kafka('JWKS', () => ec.sign(claims('alice'))), 'j-alice'), 'ok', 'ES256, alice holds WRITE (previous test)');
  assert.match(await produce(kafka('JWKS', () => ec.sign(claims('carol'))), 'j-carol'), DENIED, 'carol has no ACL');
  assert.ok(jwks.fetches >= 1, 'the JWKS was fetched from the endpoint');
});

test('JWKS: expired, wrong audience, wrong issuer, bad signature, unknown kid and unsigned tokens get SASL_AUTHENTICATION_FAILED', { timeout: 90_000 }, async () => {
  const p = port('JWKS');
  const now = Date.now();
  const base = { ...claimsFor('alice', now, 600), aud: AUDIENCE, iss: ISSUER };
  const ok = await attempt(p, oauthMessage(await rsa.sign(base)));
  assert.equal(ok.first.errorCode, 0);
  assert.equal(ok.first.authBytes.length, 0);
  const invalid = '{"status":"invalid_token"}';
  const unknownKid = await signingKey('rsa-unknown', 'RS256');
  const cases: [string, string][] = [
    ['expired (beyond the 30 s skew)', await rsa.sign({ ...base, iat: Math.floor(now / 1000) - 600, exp: Math.floor(now / 1000) - 60 })],
    ['wrong audience', await rsa.sign({ ...base, aud: 'someone-else' })],
    ['wrong issuer', await rsa.sign({ ...base, iss: 'https://evil.test' })],
    ['no iat', await rsa.sign({ sub: 'alice', exp: Math.floor(now / 1000) + 600, aud: AUDIENCE, iss: ISSUER })],
    ['bad signature', await stranger.sign(base)],
    ['unknown kid', await unknownKid.sign(base)],
    ['unsigned', unsecuredToken(base)],
  ];
  for (const [what, token] of cases) assertRefused(await attempt(p, oauthMessage(token)), invalid, what);
});

test('JWKS from a file: URL, with listener-prefixed settings (principal from the client_id claim)', { timeout: 60_000 }, async () => {
  const p = port('JWKSFILE');
  const base = { ...claimsFor('ignored-sub', Date.now(), 600), client_id: 'admin', aud: AUDIENCE, iss: ISSUER };
  const ok = await attempt(p, oauthMessage(await rsa.sign(base)));
  assert.equal(ok.first.errorCode, 0, 'RS256 key from the file');
  assert.equal(ok.first.authBytes.length, 0);
  assertRefused(await attempt(p, oauthMessage(await ec.sign(base))), '{"status":"invalid_token"}', 'the EC key is not in the file');
  assert.equal(await produce(kafka('JWKSFILE', () => rsa.sign(base)), 'f-admin'), 'ok', 'client_id=admin is the principal (a super user)');
});

test('start-up refuses OAUTHBEARER without its JAAS config, with an unknown callback handler, or a JWKS handler without a URL', { timeout: 60_000 }, async () => {
  const base = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'OAUTHBEARER' };
  await assert.rejects(startBroker({ port: 0, config: base }), /listener\.name\.sasl_plaintext\.oauthbearer\.sasl\.jaas\.config/);
  const jaas = { ...base, 'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': `${OAUTH_LOGIN_MODULE} required ;` };
  await assert.rejects(startBroker({ port: 0, config: { ...jaas, 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'com.example.MyHandler' } }), /com\.example\.MyHandler/);
  await assert.rejects(startBroker({ port: 0, config: { ...jaas, 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': JWKS_HANDLER } }), /sasl\.oauthbearer\.jwks\.endpoint\.url/);
});
