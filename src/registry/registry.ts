/**
 * A schema registry instance: reads `_schemas` to its end, joins the primary election, then serves
 * Confluent's REST API over HTTP. Used by the broker (`schema.registry.listeners`, connecting to
 * its own listener) and by `samsa registry --bootstrap-server` (against any Kafka cluster).
 */
import type { ClientSecurity } from '../client/client-security.js';
import { Logger } from '../common/logger.js';
import { buildHttpApi } from './http-api.js';
import { KafkaLink, parseBootstrap } from './kafka-link.js';
import { KafkaStore } from './kafka-store.js';
import { PrimaryElection } from './primary-election.js';
import { RegistryService } from './registry-service.js';
import { RegistryState } from './registry-state.js';
import { decodeStoreRecord } from './schema-records.js';

export interface RegistryOptions {
  /** Kafka bootstrap servers, "host:port[,host:port]". */
  bootstrap: string;
  /** TLS / SASL of the Kafka connections (src/client/client-security.ts); default PLAINTEXT. */
  security?: ClientSecurity;
  /** HTTP listener, e.g. "http://127.0.0.1:8081" (port 0: any free port). */
  listener: string;
  /** The URL other instances use to reach this one (forwarded writes); default the bound listener. */
  advertisedUrl?: string;
  topic?: string;
  groupId?: string;
  /** Replication factor of the topic when the registry creates it; default min(3, brokers). */
  replicationFactor?: number;
  /** Whether this instance may become the primary (Confluent's leader.eligibility). Default true. */
  leaderEligibility?: boolean;
  sessionTimeoutMs?: number;
  logger?: Logger;
  clientId?: string;
  startTimeoutMs?: number;
  /** Aborts a start still waiting for `_schemas` (startRegistry then rejects). */
  signal?: AbortSignal;
}

export interface RunningRegistry {
  /** The URL the registry answers on. */
  readonly url: string;
  readonly port: number;
  readonly state: RegistryState;
  readonly isPrimary: boolean;
  /** Resolves once a primary is known. */
  waitForPrimary(timeoutMs?: number): Promise<boolean>;
  /** Is schema id `id` registered (as far as `_schemas` has been read)? */
  has(id: number): boolean;
  /** Resolves once `_schemas` has been read to its current end. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** The registered ids alone, following `_schemas` without serving HTTP (the broker's produce validation). */
export interface SchemaIdFollower {
  has(id: number): boolean;
  refresh(): Promise<void>;
  close(): Promise<void>;
}

function newStore(link: KafkaLink, state: RegistryState, logger: Logger, opts: { topic?: string; replicationFactor?: number; startTimeoutMs?: number; signal?: AbortSignal }): KafkaStore {
  return new KafkaStore(link, {
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    topic: opts.topic ?? '_schemas',
    ...(opts.replicationFactor !== undefined ? { replicationFactor: opts.replicationFactor } : {}),
    logger,
    ...(opts.startTimeoutMs !== undefined ? { startTimeoutMs: opts.startTimeoutMs } : {}),
    onRecord: (r) => {
      if (r.key === null) return;
      const e = decodeStoreRecord(r.key, r.value);
      if (e) state.apply(e);
    },
  });
}

export async function followSchemaIds(opts: { bootstrap: string; security?: ClientSecurity; topic?: string; logger?: Logger; startTimeoutMs?: number }): Promise<SchemaIdFollower> {
  const logger = (opts.logger ?? new Logger()).child('schema-registry');
  const link = new KafkaLink(parseBootstrap(opts.bootstrap), 'samsa-schema-ids', 30_000, opts.security);
  const state = new RegistryState();
  const store = newStore(link, state, logger, opts);
  try {
    await store.start();
  } catch (e) {
    await store.close();
    link.close();
    throw e;
  }
  return {
    has: (id) => state.schemaById(id) !== undefined,
    refresh: () => store.readToEnd(),
    async close() {
      await store.close();
      link.close();
    },
  };
}

export function parseListener(s: string): { scheme: string; host: string; port: number } {
  const m = /^(https?):\/\/(\[[^\]]+\]|[^:/]*):(\d+)\/?$/.exec(s.trim());
  if (!m) throw new Error(`invalid schema registry listener '${s}', expected http://host:port`);
  const host = (m[2] as string).replace(/^\[|\]$/g, '');
  if ((m[1] as string) !== 'http') throw new Error(`schema registry listener '${s}': only http is supported`);
  return { scheme: 'http', host: host === '' ? '0.0.0.0' : host, port: Number(m[3]) };
}

export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  const logger = (opts.logger ?? new Logger()).child('schema-registry');
  const listener = parseListener(opts.listener);
  const link = new KafkaLink(parseBootstrap(opts.bootstrap), opts.clientId ?? 'samsa-schema-registry', 30_000, opts.security);
  const state = new RegistryState();
  const store = newStore(link, state, logger, opts);
  let app: ReturnType<typeof buildHttpApi> | null = null;
  let election: PrimaryElection | null = null;
  try {
    await store.start();
    opts.signal?.throwIfAborted();
    const service = new RegistryService(state, store, logger);
    // The port is known once bound; the election starts after it so its identity names it.
    const holder: { election: PrimaryElection | null } = { election: null };
    const electionProxy = {
      get isPrimary() {
        return holder.election?.isPrimary ?? false;
      },
      get primary() {
        return holder.election?.primary ?? null;
      },
      waitForPrimary: (ms: number) => holder.election?.waitForPrimary(ms) ?? Promise.resolve(null),
    } as unknown as PrimaryElection;
    app = buildHttpApi({ service, store, election: electionProxy, logger });
    await app.listen({ host: listener.host, port: listener.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : listener.port;
    const advertised = opts.advertisedUrl ? parseListener(opts.advertisedUrl) : { ...listener, port, host: listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host };
    election = new PrimaryElection(link, {
      groupId: opts.groupId ?? 'schema-registry',
      identity: { version: 1, host: advertised.host, port: advertised.port, scheme: 'http', leader_eligibility: opts.leaderEligibility ?? true },
      logger,
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
    });
    holder.election = election;
    election.start();
    const host = listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info(`schema registry listening on ${url} (topic ${opts.topic ?? '_schemas'} read to offset ${store.position})`);
    const el = election;
    const server = app;
    return {
      url,
      port,
      state,
      get isPrimary() {
        return el.isPrimary;
      },
      async waitForPrimary(timeoutMs = 30_000) {
        return (await el.waitForPrimary(timeoutMs)) !== null;
      },
      has: (id) => state.schemaById(id) !== undefined,
      refresh: () => store.readToEnd(),
      async close() {
        await server.close();
        await el.close();
        await store.close();
        link.close();
      },
    };
  } catch (e) {
    await app?.close().catch(() => undefined);
    await election?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    link.close();
    throw e;
  }
}
