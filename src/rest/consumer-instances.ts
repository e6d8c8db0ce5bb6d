/**
 * The REST proxy's consumer instances: one GroupConsumer (a real group member) per
 * (group, instance name), created by POST /consumers/{group}, used by the instance's requests one
 * at a time, and deleted by DELETE or after `consumer.instance.timeout.ms` without a request.
 *
 * Confluent's rules kept: an instance's name defaults to a generated one; a second instance with
 * the same name in a group is 40902; an unknown instance is 40403; `format` is binary (default),
 * json, avro, jsonschema or protobuf; `auto.offset.reset` earliest/latest/none (smallest/largest
 * accepted); `auto.commit.enable` (default true); `fetch.min.bytes`; `consumer.request.timeout.ms`
 * bounds how long GET records waits. Samsa's bounds on untrusted input: at most `maxInstances`
 * instances (42901 beyond), names of at most 249 characters. With authentication an instance
 * belongs to the principal that created it (another principal gets 40403).
 */
import { randomUUID } from 'node:crypto';
import type { ClusterClient } from '../client/cluster-client.js';
import { GroupConsumer, type OffsetReset } from '../client/group-consumer.js';
import { instanceNotFound, RestError, RestErrorCode } from './errors.js';
import { isEmbeddedFormat, type EmbeddedFormat } from './formats.js';

export interface ConsumerInstanceSettings {
  format: EmbeddedFormat;
  fetchMinBytes: number;
  requestTimeoutMs: number;
}

export class ConsumerInstance {
  lastUsed = performance.now();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly group: string,
    readonly name: string,
    readonly settings: ConsumerInstanceSettings,
    readonly consumer: GroupConsumer,
    /** The principal that created it; only it may use the instance. */
    readonly owner: string,
  ) {}

  /** Runs `fn` after the instance's earlier requests (an instance serves one request at a time). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export interface ConsumerInstancesOptions {
  instanceTimeoutMs: number;
  maxInstances: number;
  defaultRequestTimeoutMs: number;
  onError?: (e: unknown) => void;
}

const invalidConfig = (message: string): RestError => new RestError(RestErrorCode.INVALID_CONSUMER_CONFIG, `Invalid consumer configuration: ${message}`);

function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalidConfig(`${key} must be a string`);
  return String(v);
}

function intSetting(body: Record<string, unknown>, key: string, def: number, max: number): number {
  const v = str(body, key);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw invalidConfig(`${key} must be an integer from 0 to ${max}`);
  return n;
}

export class ConsumerInstances {
  private readonly instances = new Map<string, ConsumerInstance>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: ConsumerInstancesOptions) {
    this.sweeper = setInterval(() => this.expire(), Math.max(50, Math.min(10_000, Math.floor(opts.instanceTimeoutMs / 4))));
    this.sweeper.unref();
  }

  get size(): number {
    return this.instances.size;
  }

  /** Creates an instance from a POST /consumers/{group} body. */
  create(cluster: ClusterClient, group: string, body: Record<string, unknown>, owner = ''): ConsumerInstance {
    const name = str(body, 'name') ?? str(body, 'id') ?? `rest-consumer-${randomUUID()}`;
    if (name.length === 0 || name.length > 249) throw invalidConfig('name must have 1 to 249 characters');
    const key = `${group}\u0000${name}`;
    if (this.instances.has(key)) throw new RestError(RestErrorCode.CONSUMER_ALREADY_EXISTS, 'Consumer with specified consumer ID already exists in the specified consumer group.');
    if (this.instances.size >= this.opts.maxInstances) throw new RestError(RestErrorCode.TOO_MANY_INSTANCES, `Too many consumer instances: at most ${this.opts.maxInstances}`);
    const format = str(body, 'format') ?? 'binary';
    if (!isEmbeddedFormat(format)) throw invalidConfig(`format must be one of binary, json, avro, jsonschema, protobuf, not '${format}'`);
    const resetText = str(body, 'auto.offset.reset') ?? 'latest';
    const reset: OffsetReset | undefined = ({ earliest: 'earliest', smallest: 'earliest', latest: 'latest', largest: 'latest', none: 'none' } as const)[resetText as 'earliest'];
    if (reset === undefined) throw invalidConfig(`auto.offset.reset must be earliest, latest or none, not '${resetText}'`);
    const autoCommit = str(body, 'auto.commit.enable') ?? str(body, 'enable.auto.commit') ?? 'true';
    if (autoCommit !== 'true' && autoCommit !== 'false') throw invalidConfig('auto.commit.enable must be true or false');
    const settings: ConsumerInstanceSettings = {
      format,
      fetchMinBytes: intSetting(body, 'fetch.min.bytes', 1, 64 * 1024 * 1024),
      requestTimeoutMs: intSetting(body, 'consumer.request.timeout.ms', this.opts.defaultRequestTimeoutMs, 60_000),
    };
    const consumer = new GroupConsumer(cluster, {
      groupId: group,
      autoOffsetReset: reset,
      autoCommit: autoCommit === 'true',
      sessionTimeoutMs: intSetting(body, 'session.timeout.ms', 45_000, 3_600_000),
      heartbeatIntervalMs: intSetting(body, 'heartbeat.interval.ms', 3_000, 3_600_000),
      ...(this.opts.onError ? { onError: this.opts.onError } : {}),
    });
    const instance = new ConsumerInstance(group, name, settings, consumer, owner);
    this.instances.set(key, instance);
    return instance;
  }

  /** The instance, its idle clock restarted; 40403 when it does not exist or belongs to another principal. */
  get(group: string, name: string, owner = ''): ConsumerInstance {
    const i = this.instances.get(`${group}\u0000${name}`);
    if (!i || i.owner !== owner) throw instanceNotFound();
    i.lastUsed = performance.now();
    return i;
  }

  async delete(group: string, name: string, owner = ''): Promise<void> {
    const i = this.get(group, name, owner);
    this.instances.delete(`${group}\u0000${name}`);
    await i.serial(() => i.consumer.close());
  }

  /** Deletes instances idle for longer than the instance timeout. */
  expire(now = performance.now()): void {
    for (const [key, i] of this.instances) {
      if (now - i.lastUsed <= this.opts.instanceTimeoutMs) continue;
      this.instances.delete(key);
      i.serial(() => i.consumer.close()).catch((e) => this.opts.onError?.(e));
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => i.serial(() => i.consumer.close()).catch(() => undefined)));
  }
}
