/**
 * Embedded API: start a Samsa broker inside a Node process.
 *
 *   const broker = await startBroker({ port: 0 });
 *   // ... point clients at `${broker.host}:${broker.port}` ...
 *   await broker.stop();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from './broker/broker.js';
import { BrokerConfig } from './config/broker-config.js';

export interface StartBrokerOptions {
  /** TCP port; 0 picks a free one. Default 9092. */
  port?: number;
  /** Host to bind; default 127.0.0.1 for embedded use. */
  host?: string;
  /** Data directory (log.dirs). Without one a temporary directory is used and removed on stop. */
  dataDir?: string;
  /** Further broker properties by Kafka name, e.g. { 'num.partitions': '3' }. */
  config?: Record<string, string | number | boolean>;
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
  const broker = new Broker(new BrokerConfig(props));
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
      await broker.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

export { Broker } from './broker/broker.js';
export { BrokerConfig } from './config/broker-config.js';
