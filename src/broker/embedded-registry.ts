/**
 * The schema registry served by the broker process (`schema.registry.listeners`, off unless set):
 * started once the broker is up, in the background (it waits for `_schemas`, which in a cluster
 * may need other brokers), as an ordinary Kafka client of this broker's first PLAINTEXT listener
 * (else of its inter-broker listener, with the inter-broker client security: TLS trust and key
 * stores, sasl.mechanism.inter.broker.protocol and the JAAS config's username/password), so it is exactly the standalone `samsa registry` (src/registry) in another place. Loaded only
 * when configured (fastify and the schema libraries stay out of a broker that does not use them).
 */
import type { ClientSecurity } from '../client/client-security.js';
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ownClientSecurity } from '../config/inter-broker-security.js';
import { protocolOf } from '../config/listener-security.js';
import type { RunningRegistry, SchemaIdFollower } from '../registry/registry.js';
import type { BoundListener } from './listener-binding.js';
import type { SchemaIdSource } from './schema-id-validation.js';

/** Where the broker's own clients (registry, schema-id follower) connect, and how. */
export interface OwnBootstrap {
  /** "host:port" of one of this broker's listeners. */
  bootstrap: string;
  /** TLS / SASL of that listener; undefined for PLAINTEXT. */
  security: ClientSecurity | undefined;
  listenerName: string;
}

const hostPort = (l: BoundListener): string => {
  const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? '127.0.0.1' : l.host;
  return `${host.includes(':') ? `[${host}]` : host}:${l.port}`;
};

/**
 * The broker's first PLAINTEXT listener; without one, the inter-broker listener with the broker's
 * inter-broker client security (its key and trust stores, the SASL mechanism of
 * sasl.mechanism.inter.broker.protocol with the JAAS config's username/password). Throws
 * ConfigError saying what to set when that security cannot be built.
 */
export function ownBootstrap(config: BrokerConfig, listeners: readonly BoundListener[]): OwnBootstrap {
  const plain = listeners.find((l) => protocolOf(config, l.name) === 'PLAINTEXT');
  if (plain) return { bootstrap: hostPort(plain), security: undefined, listenerName: plain.name };
  const own = ownClientSecurity(config);
  const l = listeners.find((x) => x.name === own.listenerName);
  if (!l) throw new ConfigError('inter.broker.listener.name', `the inter-broker listener ${own.listenerName} is not bound`);
  return { bootstrap: hostPort(l), security: own.security, listenerName: l.name };
}

/**
 * The registered schema ids for the produce path's validation (schema-id-validation.ts): the
 * embedded registry's state when the broker serves one, else a follower of `_schemas` started on
 * the first validated produce. Nothing runs until a topic with validation is produced to.
 */
export class BrokerSchemaIds implements SchemaIdSource {
  private source: Promise<RunningRegistry | SchemaIdFollower> | null = null;
  private ready: RunningRegistry | SchemaIdFollower | null = null;
  private follower: Promise<SchemaIdFollower> | null = null;

  constructor(
    private readonly registry: () => Promise<RunningRegistry> | null,
    private readonly config: BrokerConfig,
    private readonly listeners: readonly BoundListener[],
    private readonly logger: Logger,
  ) {}

  has(id: number): boolean {
    return this.ready?.has(id) ?? false;
  }

  async refresh(): Promise<void> {
    this.source ??= this.open();
    try {
      const s = await this.source;
      this.ready = s;
      await s.refresh();
    } catch (e) {
      this.source = null;
      throw e;
    }
  }

  async close(): Promise<void> {
    const f = this.follower;
    this.follower = null;
    await f?.then((x) => x.close(), () => undefined);
  }

  private open(): Promise<RunningRegistry | SchemaIdFollower> {
    const r = this.registry();
    if (r !== null) return r;
    let own: OwnBootstrap;
    try {
      own = ownBootstrap(this.config, this.listeners);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.logger.info(`following _schemas for schema id validation (through listener ${own.listenerName})`);
    this.follower = import('../registry/registry.js').then(({ followSchemaIds }) => followSchemaIds({ bootstrap: own.bootstrap, ...(own.security !== undefined ? { security: own.security } : {}), logger: this.logger, startTimeoutMs: 30_000 }));
    return this.follower;
  }
}

/**
 * Checks, before the broker binds anything, that a configured registry (or schema id follower)
 * can reach this broker: a PLAINTEXT listener, or inter-broker client security that can be built.
 */
export function checkOwnClientConfig(config: BrokerConfig): void {
  if (config.list('schema.registry.listeners').length === 0) return;
  if (config.listeners().some((l) => protocolOf(config, l.name) === 'PLAINTEXT')) return;
  ownClientSecurity(config);
}

export function startEmbeddedRegistry(config: BrokerConfig, listeners: readonly BoundListener[], logger: Logger, signal: AbortSignal): Promise<RunningRegistry> | null {
  const specs = config.list('schema.registry.listeners');
  const spec = specs[0];
  if (spec === undefined) return null;
  // Without a PLAINTEXT listener: the inter-broker client security, or a ConfigError at start-up.
  const own = ownBootstrap(config, listeners);
  const advertised = config.str('schema.registry.advertised.listener');
  const p = import('../registry/registry.js').then(({ startRegistry }) =>
    startRegistry({
      bootstrap: own.bootstrap,
      ...(own.security !== undefined ? { security: own.security } : {}),
      listener: spec,
      ...(advertised !== null ? { advertisedUrl: advertised } : {}),
      logger,
      startTimeoutMs: 10 * 60_000,
      signal,
    }),
  );
  p.catch((e: unknown) => {
    if (!signal.aborted) logger.error('the schema registry did not start', e);
  });
  return p;
}
