/**
 * The web console served by the broker process (console.listeners=http://host:port, or
 * `samsa start --console`): the console (src/console) is started as a Kafka client of this
 * broker, exactly as `samsa console --bootstrap-server` would be, and stopped before the
 * listeners close; with metrics.listeners it also reads this broker's metrics endpoint for byte
 * rates, with schema.registry.listeners its schema registry page uses the broker's embedded
 * registry, and with console.connect.url it shows that Kafka Connect's connectors. fastify and
 * the console's modules are loaded only when the property is set.
 *
 * Which listener (embedded-registry.ts's ownBootstrap, shared with the broker's registry): the
 * first PLAINTEXT one; without one, the inter-broker listener with the broker's inter-broker
 * client security (the listener's key and trust stores for SSL, sasl.mechanism.inter.broker.protocol
 * with the JAAS config's username/password for SASL). The console then acts as the broker's own
 * principal, like the broker's registry: it listens on 127.0.0.1 by default, has no login of its
 * own, and anyone who can open it can do what that principal may. When that security cannot be
 * built the console is not started and a warning says what to set (the broker still starts).
 *
 * With console.command.config=FILE (Kafka's client properties, as `samsa console --command-config`
 * takes: security.protocol, sasl.*, ssl.*) the console connects instead to the first listener of
 * that file's security.protocol, logging in as the file says: a principal of its own, with only
 * the ACLs given to it, rather than the broker's.
 */
import { readFileSync } from 'node:fs';
import type { BoundListener } from './listener-binding.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../common/logger.js';
import type { RunningConsole } from '../console/server.js';
import { commandConfigOf } from '../cli/command-config.js';
import { ConfigError } from '../common/errors.js';
import { parseProperties } from '../config/properties-file.js';
import { protocolOf } from '../config/listener-security.js';
import { ownBootstrap, type OwnBootstrap } from './embedded-registry.js';

/** The listener of console.command.config's security.protocol, with the file's client security. */
function commandConfigBootstrap(config: BrokerConfig, listeners: readonly BoundListener[], file: string): OwnBootstrap {
  let props: Map<string, string>;
  try {
    props = parseProperties(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('console.command.config', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').trim().toUpperCase();
  const l = listeners.find((x) => protocolOf(config, x.name) === protocol);
  if (!l) throw new ConfigError('console.command.config', `${file} asks for security.protocol=${protocol}, but the broker has no ${protocol} listener (${listeners.map((x) => x.name).join(', ')})`);
  const security = commandConfigOf(props, file).security;
  const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? '127.0.0.1' : l.host;
  return { bootstrap: `${host.includes(':') ? `[${host}]` : host}:${l.port}`, security, listenerName: l.name };
}

export async function startBrokerConsole(config: BrokerConfig, listeners: readonly BoundListener[], metricsUrls: readonly string[], logger: Logger, schemaRegistry: Promise<{ readonly url: string }> | null = null): Promise<RunningConsole | null> {
  const spec = config.list('console.listeners')[0];
  if (spec === undefined) return null;
  const file = config.str('console.command.config');
  let own: OwnBootstrap;
  try {
    own = file !== null ? commandConfigBootstrap(config, listeners, file) : ownBootstrap(config, listeners);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    logger.warn(file !== null ? `console.listeners is set but console.command.config cannot be used: ${why}; the console is not started` : `console.listeners is set but the broker has no PLAINTEXT listener and the console cannot connect through the inter-broker listener: ${why}; the console is not started`);
    return null;
  }
  const m = /^http:\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(spec);
  const consoleHost = (m?.[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '') || '127.0.0.1';
  const { startConsole } = await import('../console/server.js');
  const running = await startConsole({
    bootstrap: [own.bootstrap],
    host: consoleHost,
    port: Number(m?.[2] ?? 8080),
    metricsUrl: metricsUrls.length > 0 ? metricsUrls.join(',') : null,
    schemaRegistryUrl: schemaRegistry === null ? null : schemaRegistry.then((r) => r.url),
    connectUrl: config.str('console.connect.url'),
    security: own.security,
    onError: (e) => logger.error('console request failed', e),
  });
  logger.info(`Console on ${running.url} (a client of listener ${own.listenerName})`);
  return running;
}
