/**
 * `--command-config` parsing (cli/command-config.ts): Kafka's client properties become Samsa's
 * ClientSecurity and @platformatic/kafka's tls/sasl options; malformed or unsupported settings
 * are refused naming the file and the setting.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { commandConfigOf } from '../../src/cli/command-config.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs?.remove());

const parse = (o: Record<string, string>): ReturnType<typeof commandConfigOf> => commandConfigOf(new Map(Object.entries(o)), 'client.properties');

test('PLAINTEXT (or no security.protocol): no security', () => {
  assert.equal(parse({}).security, undefined);
  assert.equal(parse({ 'security.protocol': 'plaintext' }).security, undefined);
});

test('SASL_SSL with ScramLoginModule and a PEM trust store file; host name verification by default', () => {
  const c = parse({
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="a\\"b";',
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caFile,
  });
  assert.deepEqual(c.security?.sasl, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'a"b' });
  assert.deepEqual(c.security?.tls?.ca, readFileSync(certs.caFile));
  assert.equal(c.security?.tls?.verifyHostname, true);
  assert.deepEqual(c.library.sasl, c.security?.sasl);
  assert.equal(c.library.tls?.checkServerIdentity, undefined);
});

test('inline PEM (line breaks folded by the properties file), mTLS key store, no host name check', () => {
  const ca = readFileSync(certs.caFile, 'utf8').replace(/\n/g, ' ');
  const c = parse({
    'security.protocol': 'SSL',
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.certificates': ca,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.certificate.chain': readFileSync(certs.serverCertFile, 'utf8'),
    'ssl.keystore.key': readFileSync(certs.serverKeyFile, 'utf8'),
    'ssl.endpoint.identification.algorithm': '',
  });
  assert.match(String(c.security?.tls?.ca), /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=]{64}\n/);
  assert.match(String(c.security?.tls?.key), /PRIVATE KEY-----\n/);
  assert.equal(c.security?.tls?.verifyHostname, false);
  assert.equal(typeof c.library.tls?.checkServerIdentity, 'function');
  assert.equal(c.security?.sasl, undefined);
});

test('librdkafka-style sasl.username / sasl.password are taken too', () => {
  const c = parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'bob', 'sasl.password': 'pw' });
  assert.deepEqual(c.security, { sasl: { mechanism: 'PLAIN', username: 'bob', password: 'pw' } });
});

test('refusals name the setting: GSSAPI, no credentials, JKS stores, unknown protocol, bad JAAS', () => {
  assert.throws(() => parse({ 'security.protocol': 'SASL_SSL' }), /Invalid sasl\.mechanism in --command-config client\.properties: GSSAPI is not supported/);
  assert.throws(() => parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }), /sasl\.jaas\.config .*needs the user's credentials/);
  assert.throws(() => parse({ 'security.protocol': 'SSL', 'ssl.truststore.location': '/etc/t.jks' }), /ssl\.truststore\.type.*JKS is not supported/);
  assert.throws(() => parse({ 'security.protocol': 'SSL', 'ssl.keystore.location': '/etc/k.jks' }), /ssl\.keystore\.type.*JKS is not supported/);
  assert.throws(() => parse({ 'security.protocol': 'TLS' }), /Invalid security\.protocol .*TLS/);
  assert.throws(() => parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'PlainLoginModule username="x";' }), /Invalid sasl\.jaas\.config/);
});
