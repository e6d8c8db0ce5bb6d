/**
 * The web console served by the broker process (console.listeners=http://host:port, or
 * `samsa start --console`): the console (src/console) is started as a Kafka client of this
 * broker's first PLAINTEXT listener, exactly as `samsa console --bootstrap-server` would be,
 * and stopped before the listeners close; with metrics.listeners it also reads this broker's
 * metrics endpoint for byte rates, and with schema.registry.listeners its schema registry page uses
 * the broker's embedded registry. fastify and the console's modules are loaded only when
 * the property is set. Without a PLAINTEXT listener the console is not started (a warning says
 * why): it connects as a plaintext client of its own broker (`samsa console --command-config`
 * connects over TLS or SASL).
 */
import type { BoundListener } from './listener-binding.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { protocolOf } from '../config/listener-security.js';
import type { Logger } from '../common/logger.js';
import type { RunningConsole } from '../console/server.js';

const LOCAL: Readonly<Record<string, string>> = { '': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1' };

export async function startBrokerConsole(config: BrokerConfig, listeners: readonly BoundListener[], metricsUrls: readonly string[], logger: Logger, schemaRegistry: Promise<{ readonly url: string }> | null = null): Promise<RunningConsole | null> {
  const spec = config.list('console.listeners')[0];
  if (spec === undefined) return null;
  const own = listeners.find((l) => protocolOf(config, l.name) === 'PLAINTEXT');
  if (!own) {
    logger.warn(`console.listeners is set but no listener is PLAINTEXT; the console is not started (it connects to the broker as a plaintext client)`);
    return null;
  }
  const host = LOCAL[own.host] ?? own.host;
  const m = /^http:\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(spec);
  const consoleHost = (m?.[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '') || '127.0.0.1';
  const { startConsole } = await import('../console/server.js');
  const running = await startConsole({
    bootstrap: [`${host.includes(':') ? `[${host}]` : host}:${own.port}`],
    host: consoleHost,
    port: Number(m?.[2] ?? 8080),
    metricsUrl: metricsUrls.length > 0 ? metricsUrls.join(',') : null,
    schemaRegistryUrl: schemaRegistry === null ? null : schemaRegistry.then((r) => r.url),
    onError: (e) => logger.error('console request failed', e),
  });
  logger.info(`Console on ${running.url}`);
  return running;
}
