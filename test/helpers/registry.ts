/**
 * Schema registry test helpers: a broker with the registry in its process
 * (schema.registry.listeners on a free port), and a small HTTP client speaking Confluent's
 * content type.
 */
import { startBroker, type RunningBroker } from '../../src/index.js';
import type { RunningRegistry } from '../../src/registry/registry.js';

export const SR_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface BrokerWithRegistry {
  broker: RunningBroker;
  registry: RunningRegistry;
  url: string;
  stop(): Promise<void>;
}

export async function startBrokerWithRegistry(config: Record<string, string | number | boolean> = {}, dataDir?: string): Promise<BrokerWithRegistry> {
  const broker = await startBroker({
    port: 0,
    ...(dataDir !== undefined ? { dataDir } : {}),
    config: { 'group.initial.rebalance.delay.ms': 0, 'schema.registry.listeners': 'http://127.0.0.1:0', ...config },
  });
  try {
    const registry = await (broker.broker.schemaRegistry as Promise<RunningRegistry>);
    if (!(await registry.waitForPrimary(30_000))) throw new Error('no registry primary elected within 30 s');
    return { broker, registry, url: registry.url, stop: () => broker.stop() };
  } catch (e) {
    await broker.stop();
    throw e;
  }
}

export interface HttpAnswer {
  status: number;
  contentType: string | null;
  body: unknown;
}

/** One request to the registry; the body is sent as JSON, the answer parsed as JSON when it is. */
export async function sr(url: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': SR_CONTENT_TYPE, accept: SR_CONTENT_TYPE },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a raw schema (GET .../schema) may be plain text
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body: parsed };
}
