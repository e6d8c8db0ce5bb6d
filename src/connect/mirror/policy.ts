/**
 * How MirrorMaker 2 names things on the target (Kafka's ReplicationPolicy) and which topics and
 * groups it mirrors (DefaultTopicFilter, DefaultGroupFilter, DefaultConfigPropertyFilter).
 *
 * Kafka's rules kept: DefaultReplicationPolicy names a remote topic `<source alias><separator>
 * <topic>` (separator `replication.policy.separator`, default "."), and a topic's source is the
 * part before the first separator; IdentityReplicationPolicy keeps names (only `heartbeats` is
 * still prefixed); internal topics (`__*`, `.*`, `*.internal`, `*-internal`) and a topic that
 * came from the target itself (a cycle) are never mirrored; `topics` / `topics.exclude`,
 * `groups` / `groups.exclude` and `config.properties.exclude` are comma-separated lists of
 * regexes matched against the whole name, with Kafka's defaults. Samsa's deviation: the regexes
 * are JavaScript's (the same for the patterns people write: `.*`, `a|b`, classes).
 */
import { ConfigError } from '../api.js';

export const REPLICATION_POLICIES = {
  default: 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy',
  identity: 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
} as const;

export const HEARTBEATS_TOPIC = 'heartbeats';

export interface ReplicationPolicy {
  formatRemoteTopic(sourceAlias: string, topic: string): string;
  /** The alias of the cluster a remote topic came from, or null for a local topic. */
  topicSource(topic: string): string | null;
  /** The name of a remote topic on its source cluster (the topic itself when local). */
  upstreamTopic(topic: string): string;
  isInternalTopic(topic: string): boolean;
  offsetSyncsTopic(clusterAlias: string): string;
  checkpointsTopic(clusterAlias: string): string;
}

export function replicationPolicy(config: Readonly<Record<string, string>>): ReplicationPolicy {
  const cls = (config['replication.policy.class'] ?? REPLICATION_POLICIES.default).trim();
  const sep = config['replication.policy.separator'] ?? '.';
  const identity = cls === REPLICATION_POLICIES.identity || cls === 'IdentityReplicationPolicy';
  if (!identity && cls !== REPLICATION_POLICIES.default && cls !== 'DefaultReplicationPolicy') throw new ConfigError(`Invalid value ${cls} for configuration replication.policy.class: Class ${cls} could not be found.`);
  const prefixed = (alias: string, topic: string): string => `${alias}${sep}${topic}`;
  const sourceOf = (topic: string): string | null => {
    const i = topic.indexOf(sep);
    return i > 0 ? topic.slice(0, i) : null;
  };
  return {
    formatRemoteTopic: (alias, topic) => (identity && topic !== HEARTBEATS_TOPIC ? topic : prefixed(alias, topic)),
    topicSource: (topic) => (identity ? (topic.endsWith(`${sep}${HEARTBEATS_TOPIC}`) ? sourceOf(topic) : null) : sourceOf(topic)),
    upstreamTopic: (topic) => {
      const src = identity && !topic.endsWith(`${sep}${HEARTBEATS_TOPIC}`) ? null : sourceOf(topic);
      return src === null ? topic : topic.slice(src.length + sep.length);
    },
    isInternalTopic: (topic) => topic.startsWith('__') || topic.startsWith('.') || topic.endsWith('.internal') || topic.endsWith('-internal'),
    offsetSyncsTopic: (alias) => `mm2-offset-syncs${sep}${alias}${sep}internal`,
    checkpointsTopic: (alias) => `${alias}${sep}checkpoints${sep}internal`,
  };
}

/** A comma-separated list of regexes, each matched against the whole name. */
export function regexList(value: string, key: string): RegExp {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return /(?!)/;
  try {
    return new RegExp(`^(?:${parts.join('|')})$`);
  } catch (e) {
    throw new ConfigError(`Invalid value ${value} for configuration ${key}: ${(e as Error).message}`);
  }
}

export const DEFAULTS = {
  topics: '.*',
  'topics.exclude': '.*[\\-\\.]internal, .*\\.replica, __.*',
  groups: '.*',
  'groups.exclude': 'console-consumer-.*, connect-.*, __.*',
  'config.properties.exclude': 'follower\\.replication\\.throttled\\.replicas, leader\\.replication\\.throttled\\.replicas, message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas',
} as const;

/** The filter of a `<what>` / `<what>.exclude` pair (also the older `<what>.blacklist`). */
export function nameFilter(config: Readonly<Record<string, string>>, what: 'topics' | 'groups'): (name: string) => boolean {
  const include = regexList(config[what] ?? config[`${what}.whitelist`] ?? DEFAULTS[what], what);
  const exclude = regexList(config[`${what}.exclude`] ?? config[`${what}.blacklist`] ?? DEFAULTS[`${what}.exclude`], `${what}.exclude`);
  return (name) => include.test(name) && !exclude.test(name);
}

/**
 * Whether MirrorSource copies `topic` from `source` to `target`: the filter lets it through, it
 * is not internal, and it did not come from the target (directly or through other clusters).
 */
export function shouldReplicateTopic(policy: ReplicationPolicy, filter: (t: string) => boolean, target: string, topic: string): boolean {
  if (topic === HEARTBEATS_TOPIC || topic.endsWith(`.${HEARTBEATS_TOPIC}`)) return !isCycle(policy, target, topic);
  return filter(topic) && !policy.isInternalTopic(topic) && !isCycle(policy, target, topic);
}

function isCycle(policy: ReplicationPolicy, target: string, topic: string): boolean {
  let t = topic;
  for (let depth = 0; depth < 32; depth++) {
    const src = policy.topicSource(t);
    if (src === null) return false;
    if (src === target) return true;
    t = policy.upstreamTopic(t);
  }
  return true;
}
