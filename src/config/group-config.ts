/**
 * Dynamic group configs: IncrementalAlterConfigs / DescribeConfigs resource type GROUP (32),
 * named by group id, stored in the metadata (Kafka's ConfigRecord of resource type GROUP; here the
 * image's groupConfigs). Kafka's GroupConfig rules for the KIP-848 consumer group settings:
 * - `consumer.session.timeout.ms` overrides `group.consumer.session.timeout.ms` for the group and
 *   must lie within [group.consumer.min.session.timeout.ms, group.consumer.max.session.timeout.ms];
 * - `consumer.heartbeat.interval.ms` overrides `group.consumer.heartbeat.interval.ms` and must lie
 *   within [group.consumer.min.heartbeat.interval.ms, group.consumer.max.heartbeat.interval.ms];
 * - the heartbeat interval must be less than the session timeout;
 * - a name that is not a group config, or a value that is not an integer, is INVALID_CONFIG.
 * A group config can be set before the group exists (as in Kafka).
 *
 * Samsa's deviation: only the consumer group configs above are served (Kafka's share.* and
 * streams.* group configs are refused as unknown: share groups use the broker-wide
 * group.share.* settings).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { ConfigType } from './config-types.js';

export interface GroupConfigDef {
  readonly name: string;
  /** The broker property giving the value of groups without an override. */
  readonly brokerKey: string;
  readonly minKey: string;
  readonly maxKey: string;
  readonly type: typeof ConfigType.int;
}

export const GROUP_CONFIG_DEFS: readonly GroupConfigDef[] = [
  { name: 'consumer.session.timeout.ms', brokerKey: 'group.consumer.session.timeout.ms', minKey: 'group.consumer.min.session.timeout.ms', maxKey: 'group.consumer.max.session.timeout.ms', type: ConfigType.int },
  { name: 'consumer.heartbeat.interval.ms', brokerKey: 'group.consumer.heartbeat.interval.ms', minKey: 'group.consumer.min.heartbeat.interval.ms', maxKey: 'group.consumer.max.heartbeat.interval.ms', type: ConfigType.int },
];

export const groupConfigByName: ReadonlyMap<string, GroupConfigDef> = new Map(GROUP_CONFIG_DEFS.map((d) => [d.name, d]));

/** The broker properties the group configs read (BrokerConfig satisfies it). */
export interface GroupConfigBroker {
  int(name: string): number;
}

/** A group config's value for a group: its override, else the broker's value. */
export function groupConfigValue(def: GroupConfigDef, overrides: Readonly<Record<string, string>>, broker: GroupConfigBroker): { value: number; overridden: boolean } {
  const o = overrides[def.name];
  return o !== undefined ? { value: Number(o), overridden: true } : { value: broker.int(def.brokerKey), overridden: false };
}

function invalidConfig(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, message);
}

/** Checks a group's whole set of overrides (after the operations); throws INVALID_CONFIG. */
export function validateGroupConfigs(groupId: string, configs: Readonly<Record<string, string>>, broker: GroupConfigBroker): void {
  for (const [name, raw] of Object.entries(configs)) {
    const def = groupConfigByName.get(name);
    if (def === undefined) throw invalidConfig(`Unknown group config name: ${name}`);
    if (!/^-?\d{1,10}$/.test(raw.trim())) throw invalidConfig(`Invalid value ${raw} for configuration ${name}: Not a number of type INT`);
    const v = Number(raw.trim());
    const min = broker.int(def.minKey);
    const max = broker.int(def.maxKey);
    if (v < min) throw invalidConfig(`Invalid value ${raw} for configuration ${name}: Value must be at least ${min}`);
    if (v > max) throw invalidConfig(`Invalid value ${raw} for configuration ${name}: Value must be no more than ${max}`);
  }
  const session = groupConfigValue(groupConfigByName.get('consumer.session.timeout.ms') as GroupConfigDef, configs, broker).value;
  const heartbeat = groupConfigValue(groupConfigByName.get('consumer.heartbeat.interval.ms') as GroupConfigDef, configs, broker).value;
  if (heartbeat >= session) throw invalidConfig(`consumer.heartbeat.interval.ms (${heartbeat}) must be less than consumer.session.timeout.ms (${session}) for group ${groupId}`);
}

/** Parses the stored overrides of a group into numbers (for the coordinator); unknown or bad entries are left out. */
export function consumerGroupOverrides(configs: Readonly<Record<string, string>>): { sessionTimeoutMs?: number; heartbeatIntervalMs?: number } {
  const out: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number } = {};
  const session = Number(configs['consumer.session.timeout.ms']);
  const heartbeat = Number(configs['consumer.heartbeat.interval.ms']);
  if (Number.isSafeInteger(session) && session > 0) out.sessionTimeoutMs = session;
  if (Number.isSafeInteger(heartbeat) && heartbeat > 0) out.heartbeatIntervalMs = heartbeat;
  return out;
}
