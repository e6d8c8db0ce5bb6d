/**
 * A topic's effective settings (its LogConfig, partition settings and produce policy) from the
 * broker config and the topic's config overrides, as Kafka's LogConfig.fromProps merges a topic's
 * overrides over the broker's defaults (ConfigRepository / DynamicConfigPublisher).
 * Samsa keeps the results per broker, keyed by the topic's frozen overrides object (images share
 * it while the topic's configs do not change; AlterConfigs / IncrementalAlterConfigs make a new
 * one) with one entry for every topic without overrides, and drops them all when the dynamic
 * broker configs change (BrokerConfig.dynamicVersion). Starting a broker with 100,000 topics
 * resolved every topic's ~50 configs five times before (17 % of the start-up CPU, and much of its
 * garbage); now once per distinct set of overrides. The objects returned are shared and frozen.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { resolveTopicConfigs, numberConfig, stringConfig, type ResolvedTopicConfig } from '../config/topic-config-resolver.js';
import type { LogConfig } from '../storage/log-config.js';
import type { TopicSettings } from './partition.js';
import type { ProducePolicy } from './topic-manager.js';

/** What one set of overrides resolves to, each part made on first use. */
interface Resolved {
  configs?: ReadonlyMap<string, ResolvedTopicConfig>;
  log?: LogConfig;
  settings?: TopicSettings;
  policy?: ProducePolicy;
}

/** Effective topic settings from the broker config and a topic's overrides (no store, no logs), cached. */
export class TopicConfigs {
  /** config.dynamicVersion the cached entries were resolved at. */
  private version: number;
  /** Topics without overrides (most of them) share one entry. */
  private noOverrides: Resolved = {};
  /** By the (frozen) overrides object of a topic's image: a changed topic config is a new object. */
  private byOverrides = new WeakMap<Readonly<Record<string, string>>, Resolved>();

  constructor(private readonly config: BrokerConfig) {
    this.version = config.dynamicVersion;
  }

  /**
   * The cache entry of `overrides`, emptied first when the dynamic broker configs changed; a new,
   * uncached one for overrides that may still change (not frozen, not empty).
   */
  private entry(overrides: Readonly<Record<string, string>>): Resolved {
    if (this.version !== this.config.dynamicVersion) {
      this.version = this.config.dynamicVersion;
      this.noOverrides = {};
      this.byOverrides = new WeakMap();
    }
    if (isEmpty(overrides)) return this.noOverrides;
    if (!Object.isFrozen(overrides)) return {};
    let e = this.byOverrides.get(overrides);
    if (e === undefined) {
      e = {};
      this.byOverrides.set(overrides, e);
    }
    return e;
  }

  private resolved(e: Resolved, overrides: Readonly<Record<string, string>>): ReadonlyMap<string, ResolvedTopicConfig> {
    return (e.configs ??= resolveTopicConfigs(this.config, overrides));
  }

  /** The log settings of a topic with `overrides` (shared by the topics with the same ones: never change it). */
  logConfigFor(overrides: Readonly<Record<string, string>>): LogConfig {
    const e = this.entry(overrides);
    return (e.log ??= freezeLogConfig(this.makeLogConfig(this.resolved(e, overrides))));
  }

  /** Partition settings (max.message.bytes, min.insync.replicas, ...), shared like logConfigFor's. */
  settingsFor(overrides: Readonly<Record<string, string>>): TopicSettings {
    const e = this.entry(overrides);
    return (e.settings ??= Object.freeze(this.makeSettings(this.resolved(e, overrides))));
  }

  /** Produce-time settings, shared like logConfigFor's. */
  producePolicyFor(overrides: Readonly<Record<string, string>>): ProducePolicy {
    const e = this.entry(overrides);
    return (e.policy ??= Object.freeze(this.makeProducePolicy(this.resolved(e, overrides))));
  }

  private makeLogConfig(c: ReadonlyMap<string, ResolvedTopicConfig>): LogConfig {
    const policy = listConfig(c, 'cleanup.policy');
    return {
      segmentBytes: numberConfig(c, 'segment.bytes'),
      segmentMs: numberConfig(c, 'segment.ms'),
      retentionMs: numberConfig(c, 'retention.ms'),
      retentionBytes: numberConfig(c, 'retention.bytes'),
      indexIntervalBytes: numberConfig(c, 'index.interval.bytes'),
      segmentIndexBytes: numberConfig(c, 'segment.index.bytes'),
      flushIntervalMessages: numberConfig(c, 'flush.messages'),
      flushIntervalMs: numberConfig(c, 'flush.ms'),
      fileDeleteDelayMs: numberConfig(c, 'file.delete.delay.ms'),
      messageTimestampType: stringConfig(c, 'message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
      cleanupPolicy: { delete: policy.includes('delete'), compact: policy.includes('compact') },
      deleteRetentionMs: numberConfig(c, 'delete.retention.ms'),
      minCleanableDirtyRatio: numberConfig(c, 'min.cleanable.dirty.ratio'),
      minCompactionLagMs: numberConfig(c, 'min.compaction.lag.ms'),
      maxCompactionLagMs: numberConfig(c, 'max.compaction.lag.ms'),
    };
  }

  private makeSettings(c: ReadonlyMap<string, ResolvedTopicConfig>): TopicSettings {
    return {
      maxMessageBytes: numberConfig(c, 'max.message.bytes'),
      minInsyncReplicas: numberConfig(c, 'min.insync.replicas'),
      downConversionEnable: c.get('message.downconversion.enable')?.value !== false,
    };
  }

  private makeProducePolicy(c: ReadonlyMap<string, ResolvedTopicConfig>): ProducePolicy {
    const compressionType = stringConfig(c, 'compression.type');
    const levelKey = compressionType === 'gzip' || compressionType === 'lz4' || compressionType === 'zstd' ? `compression.${compressionType}.level` : undefined;
    const level = levelKey !== undefined ? numberConfig(c, levelKey) : undefined;
    const createTime = stringConfig(c, 'message.timestamp.type') !== 'LogAppendTime';
    const keySchemas = stringConfig(c, 'samsa.key.schema.validation') === 'true';
    const valueSchemas = stringConfig(c, 'samsa.value.schema.validation') === 'true';
    return {
      ...(keySchemas || valueSchemas ? { schemaValidation: { key: keySchemas, value: valueSchemas } } : {}),
      compact: listConfig(c, 'cleanup.policy').includes('compact'),
      compressionType,
      compressionLevel: level === -1 ? undefined : level,
      timestampBeforeMaxMs: createTime ? numberConfig(c, 'message.timestamp.before.max.ms') : Number.MAX_SAFE_INTEGER,
      timestampAfterMaxMs: createTime ? numberConfig(c, 'message.timestamp.after.max.ms') : Number.MAX_SAFE_INTEGER,
      logAppendTime: !createTime,
    };
  }

  /** log.cleaner.* settings from the broker config. */
  cleanerOptions(): { enabled: boolean; backoffMs: number; dedupeBufferSize: number; ioBufferSize: number } {
    return {
      enabled: this.config.bool('log.cleaner.enable'),
      backoffMs: this.config.int('log.cleaner.backoff.ms'),
      dedupeBufferSize: this.config.int('log.cleaner.dedupe.buffer.size'),
      ioBufferSize: Math.max(64 * 1024, this.config.int('log.cleaner.io.buffer.size')),
    };
  }
}

function isEmpty(o: Readonly<Record<string, string>>): boolean {
  for (const _ in o) return false;
  return true;
}

function freezeLogConfig(c: LogConfig): LogConfig {
  Object.freeze(c.cleanupPolicy);
  return Object.freeze(c);
}

function listConfig(m: ReadonlyMap<string, ResolvedTopicConfig>, key: string): string[] {
  const v = m.get(key)?.value;
  return Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').map((x) => x.trim()) : [];
}
