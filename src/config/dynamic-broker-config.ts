/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): which broker properties AlterConfigs and
 * IncrementalAlterConfigs may change at runtime, per broker (resource name = node id) or as the
 * cluster-wide default (empty resource name), and their validation. Precedence of a value:
 * dynamic per-broker, dynamic default, static (server.properties), built-in default.
 */
import { ConfigError } from '../common/errors.js';
import { brokerConfigByName } from './broker-config-defs.js';
import { type ConfigValue, parseConfigValue } from './config-types.js';
import { topicConfigDefs } from './topic-config.js';

/** Kafka's DynamicLogConfig: every broker synonym of a topic config. */
const logConfigs = new Set(topicConfigDefs.flatMap((d) => d.synonyms));

/** Kafka's LogCleaner.ReconfigurableConfigs, DynamicThreadPool, DynamicConnectionQuota and the replication throttle rates (subset known here). */
const otherDynamic = [
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
  'num.io.threads',
  'num.network.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'max.connection.creation.rate',
  // Kafka's DynamicReplicationConfig (replication throttles, kafka-reassign-partitions.sh --throttle).
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'replica.alter.log.dirs.io.max.bytes.per.second',
];

export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([...logConfigs, ...otherDynamic].filter((k) => brokerConfigByName.has(k)));

export function isDynamicBrokerConfig(name: string): boolean {
  return DYNAMIC_BROKER_CONFIGS.has(name);
}

/** A broker config change that cannot be applied; `invalidRequest` = not dynamically updatable (INVALID_REQUEST) vs a bad value (INVALID_CONFIG). */
export class BrokerConfigUpdateError extends ConfigError {
  constructor(
    key: string,
    message: string,
    readonly invalidRequest: boolean,
  ) {
    super(key, message);
    this.name = 'BrokerConfigUpdateError';
  }
}

/**
 * Validates a full set of dynamic settings for one level and returns them parsed. Throws
 * BrokerConfigUpdateError naming the offending keys.
 */
export function parseDynamicBrokerConfigs(values: Readonly<Record<string, string>>): Map<string, ConfigValue> {
  const notDynamic = Object.keys(values).filter((k) => !isDynamicBrokerConfig(k));
  if (notDynamic.length > 0) {
    throw new BrokerConfigUpdateError(notDynamic[0] as string, `Cannot update these configs dynamically: Set(${notDynamic.join(', ')})`, true);
  }
  const out = new Map<string, ConfigValue>();
  for (const [key, raw] of Object.entries(values)) {
    const def = brokerConfigByName.get(key);
    if (def === undefined) throw new BrokerConfigUpdateError(key, `Unknown broker config ${key}`, true);
    let value: ConfigValue;
    try {
      value = parseConfigValue(def, raw);
    } catch (e) {
      throw new BrokerConfigUpdateError(key, e instanceof Error ? e.message : String(e), false);
    }
    const problem = def.validate?.(value);
    if (problem) throw new BrokerConfigUpdateError(key, `Invalid value ${raw} for configuration ${key}: ${problem}`, false);
    out.set(key, value);
  }
  return out;
}
