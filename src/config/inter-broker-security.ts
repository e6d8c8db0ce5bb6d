/**
 * How this broker connects to the other brokers of a cluster (replica fetchers, transaction
 * markers): the inter-broker listener, and the client security of that listener's protocol.
 *
 * Kafka's rules:
 * - The inter-broker listener is `inter.broker.listener.name`, or the listener named like
 *   `security.inter.broker.protocol` (default PLAINTEXT); setting both is an error. The target
 *   broker is reached on its registered endpoint of that listener name.
 * - SSL / SASL_SSL: the broker's client uses the listener's own key store (its client certificate,
 *   for mTLS) and trust store, and verifies the peer's host name unless the listener's
 *   `ssl.endpoint.identification.algorithm` is empty (default `https`).
 * - SASL_*: the mechanism is `sasl.mechanism.inter.broker.protocol` (default GSSAPI), which must be
 *   one of the listener's `sasl.enabled.mechanisms`; the broker's own credentials are the
 *   `username` / `password` options of the listener's JAAS config for that mechanism
 *   (`listener.name.<l>.<mechanism>.sasl.jaas.config`, e.g. PlainLoginModule's, beside its
 *   `user_<name>` entries, or ScramLoginModule's).
 * Samsa's deviations: with neither setting given the first listener is the inter-broker one (as
 * before inter-broker security existed); GSSAPI is not implemented, so a SASL inter-broker
 * listener needs the mechanism set; a single node (no etcd.endpoints) checks nothing here.
 */
import { CLIENT_SASL_MECHANISMS, type ClientSaslMechanism, type ClientSaslOptions, type ClientSecurity, type ClientTlsOptions } from '../client/client-security.js';
import { ConfigError } from '../common/errors.js';
import { SecurityProtocol } from '../common/security-protocol.js';
import { parseJaasConfig } from '../auth/jaas.js';
import type { BrokerConfig } from './broker-config.js';
import { protocolOf, tlsSettings } from './listener-security.js';

export interface InterBrokerSecurity {
  /** The listener name whose endpoint of the target broker is connected to. */
  readonly listenerName: string;
  readonly protocol: SecurityProtocol;
  /** Undefined for PLAINTEXT. */
  readonly security: ClientSecurity | undefined;
}

/** The mechanisms the brokers' own client speaks (not every one a listener may serve). */
const CLIENT_MECHANISMS: readonly string[] = CLIENT_SASL_MECHANISMS;

/** The inter-broker listener's name (see the rules above); throws ConfigError on a conflict or an unknown name. */
export function interBrokerListenerName(config: BrokerConfig): string {
  const byName = config.str('inter.broker.listener.name');
  const byProtocol = config.has('security.inter.broker.protocol') ? config.str('security.inter.broker.protocol') : null;
  if (byName !== null && byProtocol !== null) {
    throw new ConfigError('security.inter.broker.protocol', 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
  }
  const names = config.listeners().map((l) => l.name);
  const name = byName ?? (byProtocol !== null ? byProtocol.toUpperCase() : names[0] ?? 'PLAINTEXT');
  if (byName !== null && !names.includes(byName)) {
    throw new ConfigError('inter.broker.listener.name', `inter.broker.listener.name must be a listener name defined in listeners: ${byName} is not one of ${names.join(', ')}`);
  }
  if (byProtocol !== null && !names.includes(name)) {
    throw new ConfigError('security.inter.broker.protocol', `security.inter.broker.protocol=${byProtocol} needs a listener named ${name} in listeners (${names.join(', ')}); or name the inter-broker listener with inter.broker.listener.name`);
  }
  return name;
}

/** Reads (and checks) the inter-broker listener and, in a cluster, this broker's client security on it. */
export function interBrokerSecurity(config: BrokerConfig): InterBrokerSecurity {
  const listenerName = interBrokerListenerName(config);
  const protocol = protocolOf(config, listenerName);
  const listener = config.listeners().find((l) => l.name === listenerName);
  const single = config.list('etcd.endpoints').length === 0;
  if (single || protocol === SecurityProtocol.PLAINTEXT || listener === undefined) return { listenerName, protocol, security: undefined };
  return { listenerName, protocol, security: listenerClientSecurity(config, listenerName, protocol) };
}

/**
 * The inter-broker listener and this broker's client security on it, on a single node too: what
 * the broker's own in-process clients (the embedded schema registry) use when it has no
 * PLAINTEXT listener. Throws ConfigError as interBrokerSecurity does.
 */
export function ownClientSecurity(config: BrokerConfig): InterBrokerSecurity {
  const listenerName = interBrokerListenerName(config);
  const protocol = protocolOf(config, listenerName);
  if (protocol === SecurityProtocol.PLAINTEXT) return { listenerName, protocol, security: undefined };
  return { listenerName, protocol, security: listenerClientSecurity(config, listenerName, protocol) };
}

function listenerClientSecurity(config: BrokerConfig, listenerName: string, protocol: SecurityProtocol): ClientSecurity {
  // Only what the client needs is read here (the listener itself is checked, and its SASL
  // server built, when it is bound): its TLS key and trust stores, its enabled mechanisms.
  const usesTls = protocol === SecurityProtocol.SSL || protocol === SecurityProtocol.SASL_SSL;
  const usesSasl = protocol === SecurityProtocol.SASL_PLAINTEXT || protocol === SecurityProtocol.SASL_SSL;
  const security: { tls?: ClientTlsOptions; sasl?: ClientSaslOptions } = {};
  if (usesTls) {
    const own = tlsSettings(config, listenerName, protocol);
    const algorithm = config.forListener(listenerName, 'ssl.endpoint.identification.algorithm');
    const a = typeof algorithm === 'string' ? algorithm.trim().toLowerCase() : '';
    if (a !== '' && a !== 'https') {
      throw new ConfigError('ssl.endpoint.identification.algorithm', `listener ${listenerName}: ssl.endpoint.identification.algorithm ${String(algorithm)} is not supported (https, or empty to turn host name verification off)`);
    }
    security.tls = { secureContext: own.secureContext, verifyHostname: a === 'https' };
  }
  if (usesSasl) {
    const mechanism = (config.str('sasl.mechanism.inter.broker.protocol') ?? 'GSSAPI').toUpperCase();
    if (!CLIENT_MECHANISMS.includes(mechanism)) {
      throw new ConfigError('sasl.mechanism.inter.broker.protocol', `the inter-broker listener ${listenerName} is ${protocol} and sasl.mechanism.inter.broker.protocol is ${mechanism}, which Samsa's brokers cannot use to reach each other: set it to one of ${CLIENT_MECHANISMS.join(', ')}`);
    }
    const enabledValue = config.forListener(listenerName, 'sasl.enabled.mechanisms');
    const enabled = (Array.isArray(enabledValue) ? enabledValue : enabledValue === null ? [] : String(enabledValue).split(',')).map((m) => String(m).trim().toUpperCase());
    if (!enabled.includes(mechanism)) {
      throw new ConfigError('sasl.mechanism.inter.broker.protocol', `sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication: ${mechanism} is not enabled on listener ${listenerName} (${enabled.join(', ')})`);
    }
    const key = `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
    const jaas = config.jaasConfig(listenerName, mechanism);
    const entry = jaas === null ? undefined : parseJaasConfig(key, jaas).find((e) => e.options.has('username'));
    const username = entry?.options.get('username');
    const password = entry?.options.get('password');
    if (username === undefined || password === undefined) {
      throw new ConfigError(key, `the inter-broker listener ${listenerName} uses SASL ${mechanism}: the broker's own credentials are the username="..." password="..." options of ${key}`);
    }
    security.sasl = { mechanism: mechanism as ClientSaslMechanism, username, password };
  }
  return security;
}
