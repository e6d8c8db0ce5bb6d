/**
 * The schema registry served by the broker process (`schema.registry.listeners`, off unless set):
 * started once the broker is up, in the background (it waits for `_schemas`, which in a cluster
 * may need other brokers), as an ordinary Kafka client of this broker's first PLAINTEXT listener,
 * so it is exactly the standalone `samsa registry` (src/registry) in another place. Loaded only
 * when configured (fastify and the schema libraries stay out of a broker that does not use them).
 */
import type { Logger } from '../common/logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { protocolOf } from '../config/listener-security.js';
import type { RunningRegistry } from '../registry/registry.js';
import type { BoundListener } from './listener-binding.js';

export function startEmbeddedRegistry(config: BrokerConfig, listeners: readonly BoundListener[], logger: Logger): Promise<RunningRegistry> | null {
  const specs = config.list('schema.registry.listeners');
  const spec = specs[0];
  if (spec === undefined) return null;
  const plain = listeners.find((l) => protocolOf(config, l.name) === 'PLAINTEXT');
  if (!plain) {
    logger.error('schema.registry.listeners is set but the broker has no PLAINTEXT listener for the registry to connect to; the registry is not started');
    return null;
  }
  const host = plain.host === '' || plain.host === '0.0.0.0' || plain.host === '::' ? '127.0.0.1' : plain.host;
  const bootstrap = `${host.includes(':') ? `[${host}]` : host}:${plain.port}`;
  const advertised = config.str('schema.registry.advertised.listener');
  const p = import('../registry/registry.js').then(({ startRegistry }) =>
    startRegistry({
      bootstrap,
      listener: spec,
      ...(advertised !== null ? { advertisedUrl: advertised } : {}),
      logger,
      startTimeoutMs: 10 * 60_000,
    }),
  );
  p.catch((e: unknown) => logger.error('the schema registry did not start', e));
  return p;
}
