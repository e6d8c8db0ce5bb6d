/**
 * The REST proxy a broker runs in its own process when `rest.proxy.listeners` is set: one HTTP
 * listener (http://host:port) talking to the broker's own Kafka listener over TCP, like any other
 * client, with the settings of the broker's properties (Confluent REST Proxy's names:
 * consumer.instance.timeout.ms, consumer.request.timeout.ms, consumer.request.max.bytes,
 * schema.registry.url; Samsa's rest.proxy.* bounds).
 */
import type { Logger } from '../common/logger.js';
import { RestProxy } from './server.js';

/** The broker properties the proxy reads (BrokerConfig satisfies it). */
export interface RestProxySettings {
  int(key: string): number;
  str(key: string): string | null;
  list(key: string): string[];
}

/** Parses "http://host:port"; null for anything else. */
export function parseHttpListener(spec: string): { host: string; port: number } | null {
  const m = /^http:\/\/(?:\[([^\]]*)\]|([^:/]*)):(\d+)\/?$/.exec(spec);
  if (!m) return null;
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

export interface KafkaListenerAddress {
  host: string;
  port: number;
  /** PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL. */
  protocol: string;
}

/**
 * Starts the proxy of `rest.proxy.listeners`; null when it is not set. It connects to the broker's
 * first PLAINTEXT listener, else to its first SASL_PLAINTEXT listener with PLAIN enabled, mapping
 * each request's HTTP basic credentials to that principal's SASL PLAIN login (principals.ts).
 * Without either a warning says why it is not started.
 */
export async function startConfiguredRestProxy(settings: RestProxySettings, listeners: readonly KafkaListenerAddress[], logger: Logger): Promise<RestProxy | null> {
  const spec = settings.list('rest.proxy.listeners')[0];
  if (spec === undefined) return null;
  const l = parseHttpListener(spec);
  if (!l) throw new Error(`rest.proxy.listeners: '${spec}' is not http://host:port`);
  const plain = listeners.find((x) => x.protocol === 'PLAINTEXT');
  const sasl = settings.list('sasl.enabled.mechanisms').includes('PLAIN') ? listeners.find((x) => x.protocol === 'SASL_PLAINTEXT') : undefined;
  const target = plain ?? sasl;
  if (!target) {
    logger.warn('rest.proxy.listeners is set but the broker has no PLAINTEXT listener, nor a SASL_PLAINTEXT one with PLAIN enabled, for the proxy to connect to: the REST proxy is not started');
    return null;
  }
  const host = target.host === '' || target.host === '0.0.0.0' ? '127.0.0.1' : target.host === '::' ? '::1' : target.host;
  return RestProxy.start({
    bootstrap: [`${host.includes(':') ? `[${host}]` : host}:${target.port}`],
    sasl: plain ? null : 'PLAIN',
    host: l.host === '' ? '0.0.0.0' : l.host,
    port: l.port,
    schemaRegistryUrl: settings.str('schema.registry.url'),
    consumerInstanceTimeoutMs: settings.int('consumer.instance.timeout.ms'),
    consumerRequestTimeoutMs: settings.int('consumer.request.timeout.ms'),
    maxPollBytes: settings.int('consumer.request.max.bytes'),
    maxRequestBytes: settings.int('rest.proxy.max.request.bytes'),
    maxConsumerInstances: settings.int('rest.proxy.consumer.instances.max'),
    maxRecordsPerRequest: settings.int('rest.proxy.records.per.request.max'),
    logger,
  });
}
