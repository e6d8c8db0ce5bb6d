/**
 * Kafka's SASL rules on the wire (SaslServerAuthenticator), checked with the project's protocol
 * client against a broker with PLAINTEXT, SASL_PLAINTEXT and SASL_SSL listeners:
 * - before authentication only ApiVersions, SaslHandshake and SaslAuthenticate are served; any
 *   other request closes the connection and serves nothing;
 * - an unknown mechanism answers UNSUPPORTED_SASL_MECHANISM (with the enabled list) and closes;
 * - bad credentials answer SASL_AUTHENTICATION_FAILED with the reason, then close;
 * - SaslHandshake v0 is followed by raw tokens (no request header);
 * - after authentication (or on a PLAINTEXT listener) SaslHandshake / SaslAuthenticate get
 *   ILLEGAL_SASL_STATE; the principal is User:<name>;
 * - SCRAM credentials: AlterUserScramCredentials / DescribeUserScramCredentials with Kafka's
 *   error codes, stored salted in the metadata image and kept across a restart.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startBroker } from '../../src/index.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { PLAIN_JAAS, setScramCredentials, startSecureBroker, type SecureBroker } from '../helpers/security.js';
import { WireClient } from '../helpers/wire.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let certs: TestCerts;
let b: SecureBroker;

before(async () => {
  certs = makeTestCerts();
  b = await startSecureBroker(certs);
});

after(async () => {
  try {
    // A failed `before` leaves them unset: still remove what was made.
    await (b as SecureBroker | undefined)?.stop();
  } finally {
    (certs as TestCerts | undefined)?.remove();
  }
});

const plainToken = (user: string, password: string): Buffer => Buffer.from(`\u0000${user}\u0000${password}`, 'utf8');

test('a request other than ApiVersions/SaslHandshake before authentication closes the connection, serving nothing', { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(b.port('SASL_PLAINTEXT'));
  try {
    const answered = c.metadata(null).then(() => true, () => false);
    assert.equal(await c.waitClosed(10_000), true, 'connection closed');
    assert.equal(await answered, false, 'no Metadata answer');
  } finally {
    c.close();
  }
  // After the handshake too, until SaslAuthenticate succeeds.
  const d = await WireClient.connect(b.port('SASL_PLAINTEXT'));
  try {
    const hs = await d.request(17, 1, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, 0);
    const answered = d.metadata(null).then(() => true, () => false);
    assert.equal(await d.waitClosed(10_000), true);
    assert.equal(await answered, false);
  } finally {
    d.close();
  }
});

test('ApiVersions is served before the handshake; SaslHandshake lists the enabled mechanisms; PLAIN authenticates', { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(b.port('SASL_PLAINTEXT'));
  try {
    const av = await c.apiVersions();
    assert.equal(av.errorCode, 0);
    for (const key of [17, 36, 50, 51]) assert.ok(av.apiKeys.some((k: { apiKey: number }) => k.apiKey === key), `ApiVersions lists ${key}`);
    const hs = await c.request(17, 1, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, 0);
    assert.deepEqual(hs.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    const auth = await c.request(36, 2, { authBytes: plainToken('alice', 'alice-secret') });
    assert.equal(auth.errorCode, 0);
    const md = await c.metadata(['sasl-wire-topic']);
    assert.ok(Array.isArray(md.brokers), 'served after authentication');
    const again = await c.request(17, 1, { mechanism: 'PLAIN' });
    assert.equal(again.errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'a second handshake');
    const reauth = await c.request(36, 1, { authBytes: plainToken('alice', 'alice-secret') });
    assert.equal(reauth.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.ok(b.authorizer.principals('SASL_PLAINTEXT').has('User:alice'), 'the session principal is User:alice');
  } finally {
    c.close();
  }
});

test('an unsupported mechanism answers UNSUPPORTED_SASL_MECHANISM with the enabled list, then closes', { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(b.port('SASL_PLAINTEXT'));
  try {
    const hs = await c.request(17, 1, { mechanism: 'GSSAPI' });
    assert.equal(hs.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(hs.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    assert.equal(await c.waitClosed(10_000), true);
  } finally {
    c.close();
  }
});

test('bad credentials answer SASL_AUTHENTICATION_FAILED with the reason, then close', { timeout: 60_000 }, async () => {
  for (const [user, password] of [['alice', 'wrong'], ['nobody', 'alice-secret']] as const) {
    const c = await WireClient.connect(b.port('SASL_PLAINTEXT'));
    try {
      assert.equal((await c.request(17, 1, { mechanism: 'PLAIN' })).errorCode, 0);
      const auth = await c.request(36, 2, { authBytes: plainToken(user, password) });
      assert.equal(auth.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `${user}/${password}`);
      assert.equal(auth.errorMessage, 'Authentication failed: Invalid username or password');
      assert.equal(await c.waitClosed(10_000), true, 'closed after the failure');
    } finally {
      c.close();
    }
  }
});

test('SaslHandshake v0 is followed by raw SASL tokens', { timeout: 60_000 }, async () => {
  const sock = connect({ port: b.port('SASL_PLAINTEXT'), host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const frames: Buffer[] = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
      buf = buf.subarray(4 + buf.readInt32BE(0));
    }
  });
  sock.on('close', () => (closed = true));
  const waitFrames = async (n: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (frames.length < n && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(frames.length >= n, `got ${frames.length} of ${n} frames`);
  };
  try {
    sock.write(WireClient.encodeRequest(17, 0, { mechanism: 'PLAIN' }, 7));
    await waitFrames(1);
    assert.equal(frames[0]!.readInt32BE(0), 7, 'handshake answer');
    assert.equal(frames[0]!.readInt16BE(4), 0, 'handshake accepted');
    const token = plainToken('admin', 'admin-secret');
    const sized = Buffer.alloc(4 + token.length);
    sized.writeInt32BE(token.length, 0);
    token.copy(sized, 4);
    sock.write(sized);
    await waitFrames(2);
    assert.equal(frames[1]!.length, 0, 'PLAIN answers an empty token');
    sock.write(WireClient.encodeRequest(18, 0, {}, 8));
    await waitFrames(3);
    assert.equal(frames[2]!.readInt32BE(0), 8, 'ApiVersions answered after authentication');
  } finally {
    sock.destroy();
  }
});

test('before authentication a frame over sasl.server.max.receive.size closes the connection at its size prefix', { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(b.port('SASL_PLAINTEXT'));
  try {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(524288 + 1, 0);
    c.writeRaw(prefix);
    assert.equal(await c.waitClosed(10_000), true, 'closed without waiting for the frame body');
  } finally {
    c.close();
  }
  // The same size is fine once authenticated (socket.request.max.bytes applies again).
  const d = await WireClient.connect(b.port('SASL_PLAINTEXT'));
  try {
    assert.equal((await d.request(17, 1, { mechanism: 'PLAIN' })).errorCode, 0);
    assert.equal((await d.request(36, 2, { authBytes: plainToken('alice', 'alice-secret') })).errorCode, 0);
    assert.ok(Array.isArray((await d.metadata(['sasl-wire-topic'])).topics));
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(524288 + 1, 0);
    d.writeRaw(prefix);
    assert.equal(await d.waitClosed(1_000), false, 'an authenticated connection waits for the frame');
  } finally {
    d.close();
  }
});

test('SaslHandshake on a PLAINTEXT listener gets ILLEGAL_SASL_STATE', { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(b.port('PLAINTEXT'));
  try {
    const hs = await c.request(17, 1, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  } finally {
    c.close();
  }
});

test('AlterUserScramCredentials / DescribeUserScramCredentials: Kafka error codes, iterations, per-user all-or-nothing', { timeout: 60_000 }, async () => {
  const ok = await setScramCredentials(b.port('PLAINTEXT'), [
    { name: 'carol', password: 'c', mechanism: 'SCRAM-SHA-256', iterations: 8192 },
    { name: 'carol', password: 'c', mechanism: 'SCRAM-SHA-512' },
  ]);
  assert.deepEqual(ok, [{ user: 'carol', errorCode: 0, errorMessage: null }]);
  const bad = await setScramCredentials(b.port('PLAINTEXT'), [
    { name: 'dave', password: 'd', mechanism: 'SCRAM-SHA-256', iterations: 100 },
    { name: 'dave', password: 'd', mechanism: 'SCRAM-SHA-512' },
  ]);
  assert.equal(bad[0]?.errorCode, ErrorCode.UNACCEPTABLE_CREDENTIAL);
  const c = await WireClient.connect(b.port('PLAINTEXT'));
  try {
    const d = await c.request(50, 0, { users: [{ name: 'carol' }, { name: 'dave' }, { name: 'erin' }, { name: 'erin' }] });
    assert.equal(d.errorCode, 0);
    const by = new Map(d.results.map((r: { user: string }) => [r.user, r]));
    assert.deepEqual((by.get('carol') as { credentialInfos: unknown }).credentialInfos, [{ mechanism: 1, iterations: 8192 }, { mechanism: 2, iterations: 4096 }]);
    assert.equal((by.get('dave') as { errorCode: number }).errorCode, ErrorCode.RESOURCE_NOT_FOUND, "dave's valid SHA-512 change was not applied either");
    assert.equal((by.get('erin') as { errorCode: number }).errorCode, ErrorCode.DUPLICATE_RESOURCE);
    const dup = await c.request(51, 0, { deletions: [{ name: 'carol', mechanism: 1 }], upsertions: [] });
    assert.equal(dup.results[0].errorCode, 0, 'delete');
    const missing = await c.request(51, 0, { deletions: [{ name: 'carol', mechanism: 1 }, { name: 'frank', mechanism: 3 }], upsertions: [] });
    const m = new Map(missing.results.map((r: { user: string; errorCode: number }) => [r.user, r.errorCode]));
    assert.equal(m.get('carol'), ErrorCode.RESOURCE_NOT_FOUND);
    assert.equal(m.get('frank'), ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    const all = await c.request(50, 0, { users: null });
    assert.deepEqual(all.results.find((r: { user: string }) => r.user === 'carol')?.credentialInfos, [{ mechanism: 2, iterations: 4096 }]);
  } finally {
    c.close();
  }
});

test('SCRAM credentials are kept across a restart (metadata snapshot), salted, never the password', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-scram-'));
  try {
    const first = await startBroker({ port: 0, dataDir: dir });
    try {
      const r = await setScramCredentials(first.port, [{ name: 'gina', password: 'gina-secret-pw', mechanism: 'SCRAM-SHA-512' }]);
      assert.equal(r[0]?.errorCode, 0);
    } finally {
      await first.stop();
    }
    const { readFileSync } = await import('node:fs');
    const snapshot = readFileSync(join(dir, '__samsa_metadata.json'), 'utf8');
    assert.doesNotMatch(snapshot, /gina-secret-pw/);
    assert.match(snapshot, /storedKey/);
    const second = await startBroker({ port: 0, dataDir: dir });
    try {
      const c = await WireClient.connect(second.port);
      try {
        const d = await c.request(50, 0, { users: [{ name: 'gina' }] });
        assert.deepEqual(d.results[0].credentialInfos, [{ mechanism: 2, iterations: 4096 }]);
      } finally {
        c.close();
      }
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void PLAIN_JAAS;
