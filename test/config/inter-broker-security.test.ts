/**
 * The inter-broker listener and the broker's client security on it (config/inter-broker-security.ts):
 * Kafka's inter.broker.listener.name / security.inter.broker.protocol rules, the broker's own SASL
 * credentials from the listener's JAAS config, sasl.mechanism.inter.broker.protocol checked against
 * the enabled mechanisms, and TLS from the listener's key and trust stores with host name
 * verification (ssl.endpoint.identification.algorithm).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { interBrokerSecurity } from '../../src/config/inter-broker-security.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs?.remove());

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret";';

function cluster(extra: Record<string, string>): BrokerConfig {
  return new BrokerConfig(new Map(Object.entries({ 'node.id': '1', 'etcd.endpoints': 'http://127.0.0.1:2379', ...extra })));
}

function tlsStores(): Record<string, string> {
  return { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caFile };
}

test('a SASL_SSL inter-broker listener: the mechanism of sasl.mechanism.inter.broker.protocol with the JAAS username/password, and TLS with host name verification', () => {
  const ib = interBrokerSecurity(cluster({
    listeners: 'SASL_SSL://127.0.0.1:0',
    ...tlsStores(),
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
  }));
  assert.equal(ib.listenerName, 'SASL_SSL');
  assert.equal(ib.protocol, 'SASL_SSL');
  assert.deepEqual(ib.security?.sasl, { mechanism: 'PLAIN', username: 'broker', password: 'broker-secret' });
  assert.equal(ib.security?.tls?.verifyHostname, true);
  assert.ok(ib.security?.tls?.secureContext !== undefined);
});

test('SCRAM credentials come from ScramLoginModule; an empty ssl.endpoint.identification.algorithm turns host name verification off', () => {
  const ib = interBrokerSecurity(cluster({
    listeners: 'INTERNAL://127.0.0.1:0,EXTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'INTERNAL:SASL_SSL,EXTERNAL:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    ...tlsStores(),
    'listener.name.internal.ssl.endpoint.identification.algorithm': '',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.internal.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-pw";',
  }));
  assert.equal(ib.listenerName, 'INTERNAL');
  assert.deepEqual(ib.security?.sasl, { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-pw' });
  assert.equal(ib.security?.tls?.verifyHostname, false);
});

test('security.inter.broker.protocol picks the listener of that name; with inter.broker.listener.name too it is refused', () => {
  const base = { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', ...tlsStores() };
  const ib = interBrokerSecurity(cluster({ ...base, 'security.inter.broker.protocol': 'SSL' }));
  assert.equal(ib.listenerName, 'SSL');
  assert.equal(ib.security?.sasl, undefined);
  assert.ok(ib.security?.tls !== undefined);
  assert.equal(interBrokerSecurity(cluster(base)).listenerName, 'PLAINTEXT', 'neither set: the first listener');
  assert.throws(() => interBrokerSecurity(cluster({ ...base, 'security.inter.broker.protocol': 'SSL', 'inter.broker.listener.name': 'SSL' })), /Only one of inter.broker.listener.name and security.inter.broker.protocol/);
  assert.throws(() => interBrokerSecurity(cluster({ ...base, 'security.inter.broker.protocol': 'SASL_SSL' })), /needs a listener named SASL_SSL/);
  assert.throws(() => interBrokerSecurity(cluster({ ...base, 'inter.broker.listener.name': 'OTHER' })), /must be a listener name defined in listeners/);
});

test('SASL inter-broker refusals: GSSAPI (the default), a mechanism not enabled, no broker credentials', () => {
  const base = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS };
  assert.throws(() => interBrokerSecurity(cluster(base)), /sasl.mechanism.inter.broker.protocol is GSSAPI/);
  assert.throws(() => interBrokerSecurity(cluster({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-256' })), /must be included in sasl.enabled.mechanisms/);
  assert.throws(
    () => interBrokerSecurity(cluster({ ...base, 'sasl.mechanism.inter.broker.protocol': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";' })),
    /broker's own credentials are the username="..." password="..." options of listener.name.sasl_plaintext.plain.sasl.jaas.config/,
  );
  const single = new BrokerConfig(new Map(Object.entries(base)));
  assert.equal(interBrokerSecurity(single).security, undefined, 'a single node has no inter-broker traffic: nothing is required');
});
