/** Validates topic config overrides and resolves a topic's effective configs against broker defaults. */
import type { BrokerConfig, BrokerConfigLevel } from './broker-config.js';
import { ConfigError } from '../common/errors.js';
import { parseConfigValue, type ConfigValue } from './config-types.js';
import { topicConfigByName, topicConfigDefs } from './topic-config.js';

/**
 * Throws ConfigError naming the first unknown or invalid override; with `broker`, also checks the
 * resulting effective configs together (min.compaction.lag.ms <= max.compaction.lag.ms).
 */
export function validateTopicOverrides(overrides: Readonly<Record<string, string>>, broker?: BrokerConfig): void {
  for (const [key, raw] of Object.entries(overrides)) {
    const def = topicConfigByName.get(key);
    if (!def) throw new ConfigError(key, `Unknown topic config name: ${key}`);
    if (raw === null || raw === undefined) throw new ConfigError(key, `Null value not supported for topic configs: ${key}`);
    const value = parseConfigValue(def, raw);
    const problem = def.validate?.(value);
    if (problem) throw new ConfigError(key, `Invalid value ${raw} for configuration ${key}: ${problem}`);
  }
  if (broker !== undefined) {
    const c = resolveTopicConfigs(broker, overrides);
    const minLag = numberConfig(c, 'min.compaction.lag.ms');
    const maxLag = numberConfig(c, 'max.compaction.lag.ms');
    if (minLag > maxLag) {
      throw new ConfigError('min.compaction.lag.ms', `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
    }
  }
}

export interface ResolvedTopicConfig {
  name: string;
  value: ConfigValue;
  /** Where the value comes from, in DescribeConfigs' terms. */
  source: 'topic' | 'broker' | 'default';
  brokerSynonym: string | null;
  /** The level of the broker synonym that supplies the default (when source is 'broker'). */
  brokerLevel: BrokerConfigLevel;
}

export function resolveTopicConfigs(broker: BrokerConfig, overrides: Readonly<Record<string, string>>): Map<string, ResolvedTopicConfig> {
  const out = new Map<string, ResolvedTopicConfig>();
  for (const def of topicConfigDefs) {
    const raw = overrides[def.name];
    const fromBroker = broker.topicDefault(def.name);
    const brokerLevel = fromBroker.source !== null ? broker.level(fromBroker.source) : 'default';
    if (raw !== undefined) {
      out.set(def.name, { name: def.name, value: parseConfigValue(def, raw), source: 'topic', brokerSynonym: fromBroker.source, brokerLevel });
    } else {
      out.set(def.name, { name: def.name, value: fromBroker.value, source: fromBroker.source ? 'broker' : 'default', brokerSynonym: fromBroker.source, brokerLevel });
    }
  }
  return out;
}

export function numberConfig(m: ReadonlyMap<string, ResolvedTopicConfig>, key: string): number {
  const v = m.get(key)?.value;
  return typeof v === 'number' ? v : Number(v);
}

export function stringConfig(m: ReadonlyMap<string, ResolvedTopicConfig>, key: string): string {
  const v = m.get(key)?.value;
  return Array.isArray(v) ? v.join(',') : String(v);
}
