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
import type { RunningRegistry, SchemaIdFollower } from '../registry/registry.js';
import type { BoundListener } from './listener-binding.js';
import type { SchemaIdSource } from './schema-id-validation.js';

/** The broker's first PLAINTEXT listener as "host:port" (what the registry connects to), or null. */
function ownBootstrap(config: BrokerConfig, listeners: readonly BoundListener[]): string | null {
  const plain = listeners.find((l) => protocolOf(config, l.name) === 'PLAINTEXT');
  if (!plain) return null;
  const host = plain.host === '' || plain.host === '0.0.0.0' || plain.host === '::' ? '127.0.0.1' : plain.host;
  return `${host.includes(':') ? `[${host}]` : host}:${plain.port}`;
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
    const bootstrap = ownBootstrap(this.config, this.listeners);
    if (bootstrap === null) return Promise.reject(new Error('no PLAINTEXT listener to read _schemas through'));
    this.logger.info('following _schemas for schema id validation');
    this.follower = import('../registry/registry.js').then(({ followSchemaIds }) => followSchemaIds({ bootstrap, logger: this.logger, startTimeoutMs: 30_000 }));
    return this.follower;
  }
}

export function startEmbeddedRegistry(config: BrokerConfig, listeners: readonly BoundListener[], logger: Logger, signal: AbortSignal): Promise<RunningRegistry> | null {
  const specs = config.list('schema.registry.listeners');
  const spec = specs[0];
  if (spec === undefined) return null;
  const bootstrap = ownBootstrap(config, listeners);
  if (bootstrap === null) {
    logger.error('schema.registry.listeners is set but the broker has no PLAINTEXT listener for the registry to connect to; the registry is not started');
    return null;
  }
  const advertised = config.str('schema.registry.advertised.listener');
  const p = import('../registry/registry.js').then(({ startRegistry }) =>
    startRegistry({
      bootstrap,
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
