/**
 * ProtocolClient over TLS and SASL (client-security.ts, scram-client.ts) against a broker with
 * SSL, SASL_PLAINTEXT and SASL_SSL listeners (test/helpers/security.ts, openssl certificates):
 * - SSL trusting the test CA, mTLS (the principal comes from the client certificate), PLAIN,
 *   SCRAM-SHA-256 and SCRAM-SHA-512 (the principal is the user) answer Metadata;
 * - a wrong password, an unknown user and a disabled mechanism reject with
 *   ClientAuthenticationError carrying the broker's message, and nothing is served;
 * - an untrusted broker certificate fails the handshake; a certificate that does not name the
 *   host fails with hostname verification on (Kafka's default https) and passes with it off.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { ClientAuthenticationError, type ClientSecurity } from '../../src/client/client-security.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { setScramCredentials, startSecureBroker, type SecureBroker } from '../helpers/security.js';

let certs: TestCerts;
let b: SecureBroker;

before(async () => {
  certs = makeTestCerts();
  b = await startSecureBroker(certs);
  const results = await setScramCredentials(b.port('PLAINTEXT'), [
    { name: 'scram256', password: 'pw-256', mechanism: 'SCRAM-SHA-256' },
    { name: 'scram512', password: 'pw-512', mechanism: 'SCRAM-SHA-512', iterations: 8192 },
  ]);
  assert.ok(results.every((r) => r.errorCode === 0), JSON.stringify(results));
});

after(async () => {
  try {
    await (b as SecureBroker | undefined)?.stop();
  } finally {
    (certs as TestCerts | undefined)?.remove();
  }
});

interface MetadataResponse {
  brokers: { nodeId: number }[];
}

async function metadata(port: number, security: ClientSecurity, host = '127.0.0.1'): Promise<MetadataResponse> {
  const c = await ProtocolClient.connect({ host, port, security, connectTimeoutMs: 20_000 });
  try {
    // One named topic, so the request is authorized (and the authorizer sees the principal).
    return await c.request<MetadataResponse>(3, 1, { topics: [{ name: 'principal-probe' }] });
  } finally {
    c.close();
  }
}

const ca = (): { ca: Buffer } => ({ ca: readFileSync(certs.caFile) });

test('SSL with the CA trusted: Metadata answers, principal ANONYMOUS; by host name too', { timeout: 60_000 }, async () => {
  assert.equal((await metadata(b.port('SSL'), { tls: ca() })).brokers.length, 1);
  assert.equal((await metadata(b.port('SSL'), { tls: ca() }, 'localhost')).brokers.length, 1);
  assert.ok(b.authorizer.principals('SSL').has('User:ANONYMOUS'));
});

test('mTLS: the client certificate gives the principal', { timeout: 60_000 }, async () => {
  const c = certs.client('carol');
  await metadata(b.port('SSL'), { tls: { ...ca(), cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) } });
  assert.ok(b.authorizer.principals('SSL').has('User:carol'), [...b.authorizer.principals('SSL')].join(','));
});

test('an untrusted broker certificate fails the handshake', { timeout: 60_000 }, async () => {
  await assert.rejects(metadata(b.port('SSL'), { tls: { ca: readFileSync(join(certs.dir, 'rogue-ca.crt')) } }), /over TLS: .*(self.signed|unable to verify|certificate)/i);
});

test('SASL PLAIN (SASL_PLAINTEXT) and SCRAM-SHA-256/512 (SASL_SSL) authenticate; the principal is the user', { timeout: 60_000 }, async () => {
  await metadata(b.port('SASL_PLAINTEXT'), { sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
  assert.ok(b.authorizer.principals('SASL_PLAINTEXT').has('User:alice'));
  await metadata(b.port('SASL_SSL'), { tls: ca(), sasl: { mechanism: 'SCRAM-SHA-256', username: 'scram256', password: 'pw-256' } });
  await metadata(b.port('SASL_SSL'), { tls: ca(), sasl: { mechanism: 'SCRAM-SHA-512', username: 'scram512', password: 'pw-512' } });
  await metadata(b.port('SASL_SSL'), { tls: ca(), sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
  const seen = b.authorizer.principals('SASL_SSL');
  for (const p of ['User:scram256', 'User:scram512', 'User:admin']) assert.ok(seen.has(p), [...seen].join(','));
});

test('wrong password, unknown user: ClientAuthenticationError with the broker\'s SASL_AUTHENTICATION_FAILED; nothing served', { timeout: 60_000 }, async () => {
  const before = b.authorizer.seen.length;
  const refused = async (security: ClientSecurity, port: number): Promise<void> => {
    await assert.rejects(ProtocolClient.connect({ port, security }), (e: unknown) => {
      assert.ok(e instanceof ClientAuthenticationError, String(e));
      assert.equal(e.errorCode, 58);
      assert.match(e.message, /authentication .*failed/i);
      return true;
    });
  };
  await refused({ sasl: { mechanism: 'PLAIN', username: 'alice', password: 'wrong' } }, b.port('SASL_PLAINTEXT'));
  await refused({ tls: ca(), sasl: { mechanism: 'SCRAM-SHA-256', username: 'scram256', password: 'wrong' } }, b.port('SASL_SSL'));
  await refused({ tls: ca(), sasl: { mechanism: 'SCRAM-SHA-512', username: 'nobody', password: 'pw-512' } }, b.port('SASL_SSL'));
  assert.equal(b.authorizer.seen.length, before, 'no request was authorized (none served)');
});

test('a mechanism the listener does not enable: UNSUPPORTED_SASL_MECHANISM naming the enabled ones', { timeout: 60_000 }, async () => {
  const other = await startBroker({
    port: 0,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    },
  });
  try {
    const port = (other.broker.listeners[0] as { port: number }).port;
    await assert.rejects(ProtocolClient.connect({ port, security: { sasl: { mechanism: 'PLAIN', username: 'a', password: 'b' } } }), (e: unknown) => {
      assert.ok(e instanceof ClientAuthenticationError, String(e));
      assert.equal(e.errorCode, 33);
      assert.match(e.message, /PLAIN is not enabled .*SCRAM-SHA-512/);
      return true;
    });
  } finally {
    await other.stop();
  }
});

test('hostname verification (ssl.endpoint.identification.algorithm=https by default): a certificate not naming the host is refused unless turned off', { timeout: 60_000 }, async () => {
  // A broker whose certificate (signed by the trusted CA) names no host: CN=dave, no subject alternative name.
  const dave = certs.client('dave');
  const pem = join(certs.dir, 'dave.pem');
  writeFileSync(pem, readFileSync(dave.keyFile, 'utf8') + readFileSync(dave.certFile, 'utf8'));
  let other: RunningBroker | null = null;
  try {
    other = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pem } });
    const port = (other.broker.listeners[0] as { port: number }).port;
    await assert.rejects(metadata(port, { tls: ca() }), /over TLS: .*(IP: 127\.0\.0\.1 is not in the cert's list|does not match)/i);
    assert.equal((await metadata(port, { tls: { ...ca(), verifyHostname: false } })).brokers.length, 1);
  } finally {
    await other?.stop();
  }
});
