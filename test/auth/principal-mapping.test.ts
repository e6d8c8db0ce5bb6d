/**
 * ssl.principal.mapping.rules (Kafka's SslPrincipalMapper examples), the JAAS config parser, and
 * the TLS settings read from the broker config (refusals name the setting).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPrincipal, NoMatchingRuleError, parsePrincipalMappingRules, rfc2253 } from '../../src/auth/principal-mapping.js';
import { parseJaasConfig, plainUsersOf } from '../../src/auth/jaas.js';
import { listenerSecurity, openSslName } from '../../src/config/listener-security.js';
import { makeTestCerts } from '../helpers/certs.js';
import { BrokerConfig } from '../../src/config/broker-config.js';

test("principal mapping rules as Kafka's documentation writes them", () => {
  const rules = parsePrincipalMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT');
  assert.equal(mapPrincipal(rules, 'CN=kafka-monitoring,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown'), 'kafka-monitoring');
  assert.equal(mapPrincipal(rules, 'CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Palo Alto,ST=CA,C=US'), 'duke@javasoft');
  assert.equal(mapPrincipal(rules, 'OU=x,cn=bob.smith'), 'BOB.SMITH');
  assert.equal(mapPrincipal(parsePrincipalMappingRules('DEFAULT'), 'CN=a,O=b'), 'CN=a,O=b');
  assert.equal(mapPrincipal(parsePrincipalMappingRules(''), 'CN=a'), 'CN=a');
  assert.equal(mapPrincipal(parsePrincipalMappingRules('RULE:^CN=a\\/b$/slash/'), 'CN=a/b'), 'slash');
  assert.throws(() => mapPrincipal(parsePrincipalMappingRules('RULE:^CN=x$/y/'), 'CN=z'), NoMatchingRuleError);
  assert.throws(() => parsePrincipalMappingRules('RULE:^CN=(.*$/$1/'), /bad pattern/);
  assert.throws(() => parsePrincipalMappingRules('NOPE'), /expected DEFAULT or RULE/);
  assert.equal(rfc2253('C=US\nO=Samsa\nOU=eng\nCN=alice'), 'CN=alice,OU=eng,O=Samsa,C=US');
});

test('JAAS config: PlainLoginModule users, quoting, several modules, errors', () => {
  const e = parseJaasConfig('k', 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a\\"b" user_admin="a\\"b" user_bob=plainword;');
  assert.equal(e[0]?.flag, 'required');
  assert.deepEqual([...plainUsersOf(e, 'k')], [['admin', 'a"b'], ['bob', 'plainword']]);
  assert.equal(parseJaasConfig('k', 'A required; B optional x="1";').length, 2);
  assert.throws(() => parseJaasConfig('k', 'org.x.Module required user_a="b"'), /missing ';'/);
  assert.throws(() => parseJaasConfig('k', 'org.x.Module sometimes;'), /control flag/);
  assert.throws(() => plainUsersOf(parseJaasConfig('k', 'org.x.Other required;'), 'k'), /PLAIN needs org\.apache\.kafka\.common\.security\.plain\.PlainLoginModule/);
});

test('listener-prefixed settings: listener.name.<l>.<setting> and <mechanism>.sasl.jaas.config', () => {
  const c = new BrokerConfig(new Map([
    ['listeners', 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0'],
    ['ssl.client.auth', 'none'],
    ['listener.name.sasl_ssl.ssl.client.auth', 'required'],
    ['listener.name.sasl_ssl.plain.sasl.jaas.config', 'x required;'],
  ]));
  assert.equal(c.forListener('SASL_SSL', 'ssl.client.auth'), 'required');
  assert.equal(c.forListener('PLAINTEXT', 'ssl.client.auth'), 'none');
  assert.equal(c.jaasConfig('SASL_SSL', 'PLAIN'), 'x required;');
  assert.equal(c.jaasConfig('PLAINTEXT', 'PLAIN'), null);
  assert.throws(() => new BrokerConfig(new Map([['listener.name.x.log.dirs', '/tmp']])), /cannot be set per listener/);
  assert.throws(() => new BrokerConfig(new Map([['listener.name.x.ssl.client.auth', 'sometimes']])), /Invalid value sometimes/);
});

test('IANA cipher suite names as Java takes them map to OpenSSL names', () => {
  assert.equal(openSslName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
  assert.equal(openSslName('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-ECDSA-CHACHA20-POLY1305');
  assert.equal(openSslName('TLS_RSA_WITH_AES_256_GCM_SHA384'), 'AES256-GCM-SHA384');
  assert.equal(openSslName('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'), 'ECDHE-RSA-AES256-SHA');
});

test('ssl.client.auth applies to SASL_SSL only with the listener prefix (KIP-684)', () => {
  const certs = makeTestCerts();
  try {
    const base: [string, string][] = [['listeners', 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0'], ['ssl.keystore.type', 'PEM'], ['ssl.keystore.location', certs.serverPem], ['ssl.client.auth', 'required'], ['sasl.enabled.mechanisms', 'SCRAM-SHA-256']];
    const c = new BrokerConfig(new Map(base));
    const [ssl, saslSsl] = c.listeners().map((l) => listenerSecurity(c, l));
    assert.equal(ssl?.tls?.clientAuth, 'required');
    assert.equal(saslSsl?.tls?.clientAuth, 'none');
    const prefixed = new BrokerConfig(new Map([...base, ['listener.name.sasl_ssl.ssl.client.auth', 'requested']]));
    assert.equal(listenerSecurity(prefixed, prefixed.listeners()[1]!).tls?.clientAuth, 'requested');
  } finally {
    certs.remove();
  }
});
