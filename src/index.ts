/**
 * Embedded API: start a Samsa broker inside a Node process.
 *
 *   const broker = await startBroker({ port: 0 });
 *   // ... point clients at `${broker.host}:${broker.port}` ...
 *   await broker.stop();
 *
 * Logging: `logger: { sink, level, format }` gives this broker a logger of its own: its lines (JSON
 * objects with `broker: <node.id>`, or pino-pretty's lines with format 'pretty') go to `sink` from
 * `level` on, and no other broker's do (docs/observability.md). Nothing is
 * installed process-wide (before, the sink and level were installed for the whole process until
 * the broker stopped). Without a sink the lines go to the process sink (stderr, or what
 * setLogSink installed); without a level, SAMSA_LOG_LEVEL, else info. `logger` may also be a
 * `Logger` (common/logger.ts), which the broker tags with its node id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type OpenMetadataStore } from './broker/broker.js';
import { BrokerConfig } from './config/broker-config.js';
import { Logger, type LogFormat, type LogLevel, type LogSink } from './common/logger.js';
import type { Scheduler } from './common/scheduler.js';
import type { GateOptions } from './broker/gate/gate.js';

export interface StartBrokerOptions {
  /** TCP port; 0 picks a free one. Default 9092. */
  port?: number;
  /** Host to bind; default 127.0.0.1 for embedded use. */
  host?: string;
  /** Data directory (log.dirs). Without one a temporary directory is used and removed on stop. */
  dataDir?: string;
  /** Further broker properties by Kafka name, e.g. { 'num.partitions': '3' }. */
  config?: Record<string, string | number | boolean>;
  /**
   * This broker's logger: where its lines go (default the process sink, stderr) and from which
   * level (default SAMSA_LOG_LEVEL, else info); per broker, never installed process-wide.
   */
  logger?: { sink?: LogSink; level?: LogLevel; format?: LogFormat } | Logger;
  /**
   * The broker's time and timers (default real time). Tests pass a ManualScheduler and advance it
   * instead of sleeping: retention, segment roll, delayed deletion, long polls, idle connections,
   * group and transaction timeouts all follow it.
   */
  scheduler?: Scheduler;
  /**
   * The request gate: authenticator, authorizer and quota manager (default: every connection
   * `User:ANONYMOUS`, everything allowed, the client quotas of the metadata, none until
   * AlterClientQuotas sets some). See src/broker/gate/.
   */
  gate?: GateOptions;
  /** Opens the metadata store in the first log dir (default: LocalMetadataStore.open); tests pass a store whose commits take time. */
  openMetadata?: OpenMetadataStore;
}

export interface RunningBroker {
  host: string;
  port: number;
  /** "host:port", ready for a client's bootstrap servers. */
  bootstrap: string;
  broker: Broker;
  stop(): Promise<void>;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 9092;
  const tempDir = opts.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'samsa-')) : null;
  const props = new Map<string, string>();
  props.set('listeners', `PLAINTEXT://${host.includes(':') ? `[${host}]` : host}:${port}`);
  props.set('log.dirs', opts.dataDir ?? (tempDir as string));
  for (const [k, v] of Object.entries(opts.config ?? {})) props.set(k, String(v));
  const logger = opts.logger === undefined || opts.logger instanceof Logger ? opts.logger : new Logger(opts.logger);
  const broker = new Broker(new BrokerConfig(props), {
    ...(logger !== undefined ? { logger } : {}),
    ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
    ...(opts.gate !== undefined ? { gate: opts.gate } : {}),
    ...(opts.openMetadata !== undefined ? { openMetadata: opts.openMetadata } : {}),
  });
  try {
    await broker.start();
  } catch (e) {
    await broker.stop().catch(() => undefined);
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }
  const bound = broker.listeners[0];
  const boundPort = bound?.port ?? port;
  return {
    host,
    port: boundPort,
    bootstrap: `${host}:${boundPort}`,
    broker,
    async stop() {
      try {
        await broker.stop();
      } finally {
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      }
    },
  };
}

export { Broker } from './broker/broker.js';
export { BrokerConfig } from './config/broker-config.js';
export { Logger, type LoggerOptions, type LogFormat, type LogLevel, type LogSink } from './common/logger.js';
export { ManualScheduler, realScheduler, type Scheduler, type TimerHandle } from './common/scheduler.js';
export type { GateOptions } from './broker/gate/gate.js';
export type { Authenticator } from './broker/gate/authenticator.js';
export { allowAllAuthorizer, CLUSTER_NAME, ResourceType, type Action, type Authorizer, type Resource } from './broker/gate/authorizer.js';
export { unlimitedQuotas, type QuotaManager } from './broker/gate/quota.js';
export { ANONYMOUS, SecurityProtocol, type KafkaPrincipal, type Session } from './broker/gate/session.js';
