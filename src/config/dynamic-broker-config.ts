/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): which broker properties AlterConfigs and
 * IncrementalAlterConfigs may change at runtime, per broker (resource name = node id) or as the
 * cluster-wide default (empty resource name), and their validation. Precedence of a value:
 * dynamic per-broker, dynamic default, static (server.properties), built-in default.
 * Key material (Kafka's DynamicBrokerConfig.DynamicSecurityConfigs = SslConfigs.RECONFIGURABLE_CONFIGS:
 * ssl.keystore.*, ssl.key.password, ssl.truststore.*), unprefixed or with a listener prefix
 * (`listener.name.<listener>.ssl.keystore.location`), may be changed per broker only, as Kafka
 * says ("Cannot update these configs at default cluster level, broker id must be specified");
 * the material itself is loaded and checked by the listener (auth/tls-reload.ts).
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

/** Kafka's SslConfigs.RECONFIGURABLE_CONFIGS: a listener's key store and trust store. */
export const RECONFIGURABLE_SSL_CONFIGS: ReadonlySet<string> = new Set([
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
]);

export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([...logConfigs, ...otherDynamic, ...RECONFIGURABLE_SSL_CONFIGS].filter((k) => brokerConfigByName.has(k)));

/** The setting a key names: `listener.name.<l>.<setting>` → `<setting>` (else the key itself). */
export function unprefixedName(name: string): string {
  const m = /^listener\.name\.[^.]+\.(.+)$/.exec(name);
  return m === null ? name : (m[1] as string);
}

/** A reconfigurable key store / trust store setting, with or without a listener prefix. */
export function isSslReconfiguration(name: string): boolean {
  return RECONFIGURABLE_SSL_CONFIGS.has(unprefixedName(name));
}

/** `listener.name.<listener>.max.connections` / `.max.connection.creation.rate`: the setting's name, else undefined. */
function listenerConnectionLimit(name: string): string | undefined {
  const m = /^listener\.name\.[^.]+\.(max\.connections|max\.connection\.creation\.rate)$/.exec(name);
  return m?.[1];
}

export function isDynamicBrokerConfig(name: string): boolean {
  if (DYNAMIC_BROKER_CONFIGS.has(name) || listenerConnectionLimit(name) !== undefined) return true;
  // Listener-prefixed: the key material too (Kafka's per-listener dynamic SSL configs).
  return name.startsWith('listener.name.') && isSslReconfiguration(name);
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
export function parseDynamicBrokerConfigs(values: Readonly<Record<string, string>>, level: 'dynamic-broker' | 'dynamic-default' | null = null): Map<string, ConfigValue> {
  const notDynamic = Object.keys(values).filter((k) => !isDynamicBrokerConfig(k));
  if (notDynamic.length > 0) {
    throw new BrokerConfigUpdateError(notDynamic[0] as string, `Cannot update these configs dynamically: Set(${notDynamic.join(', ')})`, true);
  }
  const perBroker = Object.keys(values).filter(isSslReconfiguration);
  if (level === 'dynamic-default' && perBroker.length > 0) {
    throw new BrokerConfigUpdateError(perBroker[0] as string, `Cannot update these configs at default cluster level, broker id must be specified: Set(${perBroker.join(', ')})`, true);
  }
  const out = new Map<string, ConfigValue>();
  for (const [given, raw] of Object.entries(values)) {
    // Listener names are matched case-insensitively (stored lower case, as config files spell them).
    const key = given.replace(/^listener\.name\.([^.]+)\./, (_m, l: string) => `listener.name.${l.toLowerCase()}.`);
    const def = brokerConfigByName.get(unprefixedName(key));
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
