/**
 * The REST proxy a broker runs in its own process when `rest.proxy.listeners` is set: one HTTP
 * listener (http://host:port) talking to the broker's own Kafka listener over TCP, like any other
 * client, with the settings of the broker's properties (Confluent REST Proxy's names:
 * consumer.instance.timeout.ms, consumer.request.timeout.ms, consumer.request.max.bytes,
 * schema.registry.url; Samsa's rest.proxy.* bounds).
 *
 * Which listener: the first PLAINTEXT one (requests are anonymous); else the first SASL_PLAINTEXT,
 * then SASL_SSL, listener that enables the proxy's mechanism (`rest.proxy.sasl.mechanism`, by
 * default the first of PLAIN, SCRAM-SHA-512, SCRAM-SHA-256 the listener enables): each request's
 * HTTP basic credentials are that mechanism's login (principals.ts). Over SASL_SSL the proxy
 * trusts the listener's own trust store and checks the host name unless the listener's
 * ssl.endpoint.identification.algorithm is empty. An SSL-only broker gets no proxy (every HTTP
 * user would act as the broker's own certificate): a warning says so.
 *
 * Schema registry: `schema.registry.url`, else the broker's own registry when it serves one
 * (`schema.registry.listeners`), found when a schema is first needed.
 */
import type { ClientSaslMechanism, ClientSecurity } from '../client/client-security.js';
import type { Logger } from '../common/logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { protocolOf, tlsSettings } from '../config/listener-security.js';
import { SecurityProtocol } from '../common/security-protocol.js';
import { RestProxy } from './server.js';

/** Parses "http://host:port"; null for anything else. */
export function parseHttpListener(spec: string): { host: string; port: number } | null {
  const m = /^http:\/\/(?:\[([^\]]*)\]|([^:/]*)):(\d+)\/?$/.exec(spec);
  if (!m) return null;
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

/** A bound Kafka listener of the broker (listener-binding.ts's BoundListener satisfies it). */
export interface KafkaListenerAddress {
  name: string;
  host: string;
  port: number;
}

const PREFERRED: readonly ClientSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-512', 'SCRAM-SHA-256'];

function enabledMechanisms(config: BrokerConfig, listener: string): string[] {
  const v = config.forListener(listener, 'sasl.enabled.mechanisms');
  return (Array.isArray(v) ? v : v === null ? [] : String(v).split(',')).map((m) => String(m).trim().toUpperCase());
}

interface Target {
  listener: KafkaListenerAddress;
  sasl: ClientSaslMechanism | null;
  security: ClientSecurity | undefined;
}

/** The listener the proxy connects to and how, or a sentence saying why there is none. */
export function proxyTarget(config: BrokerConfig, listeners: readonly KafkaListenerAddress[]): Target | string {
  const plain = listeners.find((l) => protocolOf(config, l.name) === SecurityProtocol.PLAINTEXT);
  if (plain) return { listener: plain, sasl: null, security: undefined };
  const wanted = config.str('rest.proxy.sasl.mechanism')?.toUpperCase() ?? null;
  for (const protocol of [SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL]) {
    for (const l of listeners.filter((x) => protocolOf(config, x.name) === protocol)) {
      const enabled = enabledMechanisms(config, l.name);
      const mechanism = wanted !== null ? (enabled.includes(wanted) ? (wanted as ClientSaslMechanism) : undefined) : PREFERRED.find((m) => enabled.includes(m));
      if (mechanism === undefined) continue;
      if (protocol === SecurityProtocol.SASL_PLAINTEXT) return { listener: l, sasl: mechanism, security: undefined };
      const algorithm = config.forListener(l.name, 'ssl.endpoint.identification.algorithm');
      const verifyHostname = typeof algorithm === 'string' && algorithm.trim() !== '';
      return { listener: l, sasl: mechanism, security: { tls: { secureContext: tlsSettings(config, l.name, protocol).secureContext, verifyHostname } } };
    }
  }
  return `the broker has no PLAINTEXT listener, nor a SASL_PLAINTEXT or SASL_SSL one enabling ${wanted ?? PREFERRED.join(', ')}, for the proxy to connect to`;
}

/**
 * Starts the proxy of `rest.proxy.listeners`; null when it is not set, or (with a warning) when no
 * listener suits it. `ownRegistryUrl` is the broker's own registry, used without schema.registry.url.
 */
export async function startConfiguredRestProxy(config: BrokerConfig, listeners: readonly KafkaListenerAddress[], logger: Logger, ownRegistryUrl: (() => Promise<string>) | null = null): Promise<RestProxy | null> {
  const spec = config.list('rest.proxy.listeners')[0];
  if (spec === undefined) return null;
  const l = parseHttpListener(spec);
  if (!l) throw new Error(`rest.proxy.listeners: '${spec}' is not http://host:port`);
  const target = proxyTarget(config, listeners);
  if (typeof target === 'string') {
    logger.warn(`rest.proxy.listeners is set but ${target}: the REST proxy is not started`);
    return null;
  }
  const t = target.listener;
  const host = t.host === '' || t.host === '0.0.0.0' ? '127.0.0.1' : t.host === '::' ? '::1' : t.host;
  const registryUrl = config.str('schema.registry.url') ?? ownRegistryUrl;
  return RestProxy.start({
    bootstrap: [`${host.includes(':') ? `[${host}]` : host}:${t.port}`],
    sasl: target.sasl,
    ...(target.security !== undefined ? { security: target.security } : {}),
    host: l.host === '' ? '0.0.0.0' : l.host,
    port: l.port,
    schemaRegistryUrl: registryUrl,
    consumerInstanceTimeoutMs: config.int('consumer.instance.timeout.ms'),
    consumerRequestTimeoutMs: config.int('consumer.request.timeout.ms'),
    maxPollBytes: config.int('consumer.request.max.bytes'),
    maxRequestBytes: config.int('rest.proxy.max.request.bytes'),
    maxConsumerInstances: config.int('rest.proxy.consumer.instances.max'),
    maxRecordsPerRequest: config.int('rest.proxy.records.per.request.max'),
    logger,
  });
}
