/** Broker properties recognised by Samsa, with Kafka's names and defaults. */
import { STANDARD_AUTHORIZER_CLASSES } from '../auth/authorizer-classes.js';
import { ConfigType, atLeast, between, oneOf, type ConfigKeyDef } from './config-types.js';

const HOUR_MS = 60 * 60 * 1000;

/** authorizer.class.name: empty (no authorizer) or a class whose semantics Samsa implements. */
function authorizerClass(v: unknown): string | undefined {
  if (v === null || v === '' || (typeof v === 'string' && STANDARD_AUTHORIZER_CLASSES.includes(v.trim()))) return undefined;
  return `Samsa implements only Kafka's ACL authorizer: set ${STANDARD_AUTHORIZER_CLASSES.join(' or ')}, or leave it empty (no authorization)`;
}
const LONG_MAX = Number.MAX_SAFE_INTEGER;

const own: ConfigKeyDef[] = [
  { name: 'node.id', type: ConfigType.int, defaultValue: 1, validate: atLeast(0) },
  { name: 'broker.id', type: ConfigType.int, defaultValue: -1 },
  // Clusters (docs/cluster.md): with etcd.endpoints set, node.id must be set explicitly (checked in broker-config.ts).
  { name: 'etcd.endpoints', type: ConfigType.list, defaultValue: [], readOnly: true },
  { name: 'etcd.prefix', type: ConfigType.string, defaultValue: '/samsa', readOnly: true, validate: (v) => (typeof v === 'string' && v.startsWith('/') ? undefined : "must start with '/'") },
  { name: 'broker.rack', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'listeners', type: ConfigType.list, defaultValue: ['PLAINTEXT://127.0.0.1:9092'], readOnly: true },
  { name: 'advertised.listeners', type: ConfigType.list, defaultValue: null, readOnly: true },
  { name: 'log.dirs', type: ConfigType.list, defaultValue: null, readOnly: true },
  { name: 'log.dir', type: ConfigType.string, defaultValue: '/tmp/kafka-logs', readOnly: true },
  { name: 'num.partitions', type: ConfigType.int, defaultValue: 1, validate: atLeast(1) },
  { name: 'default.replication.factor', type: ConfigType.int, defaultValue: 1, validate: atLeast(1) },
  { name: 'auto.create.topics.enable', type: ConfigType.boolean, defaultValue: true },
  { name: 'delete.topic.enable', type: ConfigType.boolean, defaultValue: true },
  // ACLs (src/auth/): Kafka's StandardAuthorizer / AclAuthorizer class names turn enforcement on; any other class is refused.
  { name: 'authorizer.class.name', type: ConfigType.string, defaultValue: '', readOnly: true, validate: authorizerClass },
  { name: 'super.users', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'allow.everyone.if.no.acl.found', type: ConfigType.boolean, defaultValue: false, readOnly: true },
  { name: 'socket.request.max.bytes', type: ConfigType.int, defaultValue: 104857600, validate: atLeast(1) },
  { name: 'message.max.bytes', type: ConfigType.int, defaultValue: 1048588, validate: atLeast(0) },
  { name: 'log.segment.bytes', type: ConfigType.int, defaultValue: 1073741824, validate: atLeast(14) },
  { name: 'log.roll.ms', type: ConfigType.long, defaultValue: null },
  { name: 'log.roll.hours', type: ConfigType.int, defaultValue: 168, validate: atLeast(1) },
  { name: 'log.roll.jitter.ms', type: ConfigType.long, defaultValue: null },
  { name: 'log.roll.jitter.hours', type: ConfigType.int, defaultValue: 0 },
  { name: 'log.retention.ms', type: ConfigType.long, defaultValue: null },
  { name: 'log.retention.minutes', type: ConfigType.int, defaultValue: null },
  { name: 'log.retention.hours', type: ConfigType.int, defaultValue: 168 },
  { name: 'log.retention.bytes', type: ConfigType.long, defaultValue: -1 },
  { name: 'log.retention.check.interval.ms', type: ConfigType.long, defaultValue: 300000, validate: atLeast(1) },
  { name: 'log.index.interval.bytes', type: ConfigType.int, defaultValue: 4096, validate: atLeast(0) },
  { name: 'log.index.size.max.bytes', type: ConfigType.int, defaultValue: 10485760, validate: atLeast(4) },
  { name: 'log.flush.interval.messages', type: ConfigType.long, defaultValue: LONG_MAX, validate: atLeast(1) },
  { name: 'log.flush.interval.ms', type: ConfigType.long, defaultValue: null },
  { name: 'log.flush.scheduler.interval.ms', type: ConfigType.long, defaultValue: LONG_MAX },
  { name: 'log.flush.offset.checkpoint.interval.ms', type: ConfigType.int, defaultValue: 60000 },
  { name: 'log.flush.start.offset.checkpoint.interval.ms', type: ConfigType.int, defaultValue: 60000 },
  { name: 'log.segment.delete.delay.ms', type: ConfigType.long, defaultValue: 60000 },
  { name: 'log.message.timestamp.type', type: ConfigType.string, defaultValue: 'CreateTime', validate: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'log.message.timestamp.before.max.ms', type: ConfigType.long, defaultValue: LONG_MAX },
  { name: 'log.message.timestamp.after.max.ms', type: ConfigType.long, defaultValue: 3_600_000 }, // Kafka 4.0 (KIP-1030)
  { name: 'log.cleanup.policy', type: ConfigType.list, defaultValue: ['delete'], validate: oneOf('delete', 'compact') },
  { name: 'log.cleaner.enable', type: ConfigType.boolean, defaultValue: true },
  { name: 'log.cleaner.delete.retention.ms', type: ConfigType.long, defaultValue: 86400000, validate: atLeast(0) },
  { name: 'log.cleaner.min.cleanable.ratio', type: ConfigType.double, defaultValue: 0.5, validate: between(0, 1) },
  { name: 'log.cleaner.min.compaction.lag.ms', type: ConfigType.long, defaultValue: 0, validate: atLeast(0) },
  { name: 'log.cleaner.max.compaction.lag.ms', type: ConfigType.long, defaultValue: LONG_MAX, validate: atLeast(1) },
  { name: 'log.cleaner.threads', type: ConfigType.int, defaultValue: 1, inert: true },
  { name: 'log.cleaner.dedupe.buffer.size', type: ConfigType.long, defaultValue: 134217728, validate: atLeast(0) },
  { name: 'log.cleaner.backoff.ms', type: ConfigType.long, defaultValue: 15000, validate: atLeast(0) },
  { name: 'log.cleaner.io.buffer.size', type: ConfigType.int, defaultValue: 524288, validate: atLeast(0) },
  { name: 'log.cleaner.io.buffer.load.factor', type: ConfigType.double, defaultValue: 0.9, inert: true },
  { name: 'log.cleaner.io.max.bytes.per.second', type: ConfigType.double, defaultValue: 1.7976931348623157e308, inert: true },
  { name: 'log.preallocate', type: ConfigType.boolean, defaultValue: false, inert: true },
  { name: 'log.message.downconversion.enable', type: ConfigType.boolean, defaultValue: true },
  { name: 'log.local.retention.ms', type: ConfigType.long, defaultValue: -2, inert: true },
  { name: 'log.local.retention.bytes', type: ConfigType.long, defaultValue: -2, inert: true },
  { name: 'compression.type', type: ConfigType.string, defaultValue: 'producer', validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') },
  { name: 'compression.gzip.level', type: ConfigType.int, defaultValue: -1, validate: (v) => (v === -1 || (typeof v === 'number' && v >= 1 && v <= 9) ? undefined : 'Value must be between 1 and 9, or -1') },
  { name: 'compression.lz4.level', type: ConfigType.int, defaultValue: 9, validate: between(1, 17) },
  { name: 'compression.zstd.level', type: ConfigType.int, defaultValue: 3, validate: between(-131072, 22) },
  { name: 'min.insync.replicas', type: ConfigType.int, defaultValue: 1, validate: atLeast(1) },
  { name: 'unclean.leader.election.enable', type: ConfigType.boolean, defaultValue: false },
  { name: 'offsets.topic.num.partitions', type: ConfigType.int, defaultValue: 50, validate: atLeast(1) },
  { name: 'offsets.topic.replication.factor', type: ConfigType.short, defaultValue: 3, validate: atLeast(1) },
  { name: 'offsets.topic.segment.bytes', type: ConfigType.int, defaultValue: 104857600, validate: atLeast(1) },
  { name: 'offsets.retention.minutes', type: ConfigType.int, defaultValue: 10080, validate: atLeast(1) },
  { name: 'offsets.retention.check.interval.ms', type: ConfigType.long, defaultValue: 600000, validate: atLeast(1) },
  { name: 'offsets.commit.timeout.ms', type: ConfigType.int, defaultValue: 5000 },
  { name: 'offset.metadata.max.bytes', type: ConfigType.int, defaultValue: 4096 },
  { name: 'group.initial.rebalance.delay.ms', type: ConfigType.int, defaultValue: 3000, validate: atLeast(0) },
  { name: 'group.min.session.timeout.ms', type: ConfigType.int, defaultValue: 6000 },
  { name: 'group.max.session.timeout.ms', type: ConfigType.int, defaultValue: 1800000 },
  { name: 'group.max.size', type: ConfigType.int, defaultValue: 2147483647, validate: atLeast(1) },
  // KIP-848 consumer groups (ConsumerGroupHeartbeat; group/consumer/): Kafka 4's names and defaults.
  { name: 'group.coordinator.rebalance.protocols', type: ConfigType.list, defaultValue: ['classic', 'consumer'], readOnly: true, validate: (v) => (Array.isArray(v) && v.includes('classic') && v.every((p) => p === 'classic' || p === 'consumer' || p === 'share') ? undefined : "must include 'classic'; 'consumer' and 'share' are the other protocols served (streams groups are not)") },
  { name: 'group.consumer.heartbeat.interval.ms', type: ConfigType.int, defaultValue: 5000, validate: atLeast(1) },
  { name: 'group.consumer.session.timeout.ms', type: ConfigType.int, defaultValue: 45000, validate: atLeast(1) },
  { name: 'group.consumer.max.size', type: ConfigType.int, defaultValue: 2147483647, validate: atLeast(1) },
  { name: 'group.consumer.assignors', type: ConfigType.list, defaultValue: ['uniform', 'range'], readOnly: true, validate: (v) => (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string' && /^(uniform|range|org\.apache\.kafka\.coordinator\.group\.assignor\.(Uniform|Range)Assignor)$/.test(a)) ? undefined : 'the assignors are uniform and range (or their Kafka class names)') },
  // Bounds of the per-group consumer.session.timeout.ms / consumer.heartbeat.interval.ms (config/group-config.ts).
  { name: 'group.consumer.min.session.timeout.ms', type: ConfigType.int, defaultValue: 45000, readOnly: true, validate: atLeast(1) },
  { name: 'group.consumer.max.session.timeout.ms', type: ConfigType.int, defaultValue: 60000, readOnly: true, validate: atLeast(1) },
  { name: 'group.consumer.min.heartbeat.interval.ms', type: ConfigType.int, defaultValue: 5000, readOnly: true, validate: atLeast(1) },
  { name: 'group.consumer.max.heartbeat.interval.ms', type: ConfigType.int, defaultValue: 15000, readOnly: true, validate: atLeast(1) },
  // KIP-848 online migration between classic and consumer groups (group/consumer/classic-migration.ts).
  { name: 'group.consumer.migration.policy', type: ConfigType.string, defaultValue: 'bidirectional', validate: (v) => (typeof v === 'string' && /^(disabled|upgrade|downgrade|bidirectional)$/i.test(v) ? undefined : 'one of DISABLED, UPGRADE, DOWNGRADE, BIDIRECTIONAL') },
  // KIP-932 share groups (group/share/, broker/share/): Kafka 4's names and defaults, served when the
  // protocols above include 'share'. group.share.auto.offset.reset is Samsa's broker-wide stand-in
  // for Kafka's per-group share.auto.offset.reset.
  { name: 'group.share.heartbeat.interval.ms', type: ConfigType.int, defaultValue: 5000, validate: atLeast(1) },
  { name: 'group.share.session.timeout.ms', type: ConfigType.int, defaultValue: 45000, validate: atLeast(1) },
  { name: 'group.share.max.size', type: ConfigType.short, defaultValue: 200, validate: atLeast(1) },
  { name: 'group.share.record.lock.duration.ms', type: ConfigType.int, defaultValue: 30000, validate: atLeast(1) },
  { name: 'group.share.delivery.count.limit', type: ConfigType.int, defaultValue: 5, validate: between(2, 10) },
  { name: 'group.share.partition.max.record.locks', type: ConfigType.int, defaultValue: 200, validate: atLeast(1) },
  { name: 'group.share.auto.offset.reset', type: ConfigType.string, defaultValue: 'latest', validate: oneOf('latest', 'earliest') },
  { name: 'share.coordinator.state.topic.num.partitions', type: ConfigType.int, defaultValue: 50, validate: atLeast(1), readOnly: true },
  { name: 'share.coordinator.state.topic.segment.bytes', type: ConfigType.int, defaultValue: 104857600, validate: atLeast(1) },
  // In a cluster (etcd.endpoints): the replication of __share_group_state, as Kafka's.
  { name: 'share.coordinator.state.topic.replication.factor', type: ConfigType.short, defaultValue: 3, validate: atLeast(1) },
  { name: 'share.coordinator.state.topic.min.isr', type: ConfigType.int, defaultValue: 2, validate: atLeast(1) },
  // ShareUpdate records between two ShareSnapshot records of a share-partition (Kafka's; 0: snapshots only).
  { name: 'share.coordinator.snapshot.update.records.per.snapshot', type: ConfigType.int, defaultValue: 500, validate: atLeast(0) },
  { name: 'transaction.state.log.num.partitions', type: ConfigType.int, defaultValue: 50, validate: atLeast(1) },
  { name: 'transaction.state.log.replication.factor', type: ConfigType.short, defaultValue: 3, validate: atLeast(1) },
  { name: 'transaction.state.log.min.isr', type: ConfigType.int, defaultValue: 2, validate: atLeast(1) },
  { name: 'transaction.state.log.segment.bytes', type: ConfigType.int, defaultValue: 104857600 },
  { name: 'transaction.max.timeout.ms', type: ConfigType.int, defaultValue: 900000, validate: atLeast(1) },
  { name: 'transactional.id.expiration.ms', type: ConfigType.int, defaultValue: 604800000 },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: ConfigType.int, defaultValue: 10000 },
  { name: 'producer.id.expiration.ms', type: ConfigType.int, defaultValue: 86400000 },
  { name: 'max.connections', type: ConfigType.int, defaultValue: 2147483647 },
  { name: 'max.connections.per.ip', type: ConfigType.int, defaultValue: 2147483647, validate: atLeast(0) },
  { name: 'max.connections.per.ip.overrides', type: ConfigType.list, defaultValue: [] },
  { name: 'background.threads', type: ConfigType.int, defaultValue: 10, validate: atLeast(1), inert: true },
  { name: 'connections.max.idle.ms', type: ConfigType.long, defaultValue: 600000 },
  { name: 'queued.max.requests', type: ConfigType.int, defaultValue: 500, validate: atLeast(1) },
  // Deviation: Kafka's default is -1 (unlimited); one Samsa process holds every connection's
  // requests, so the request memory pool is bounded by default (src/network/request-budget.ts).
  { name: 'queued.max.request.bytes', type: ConfigType.long, defaultValue: 268435456 },
  { name: 'replica.lag.time.max.ms', type: ConfigType.long, defaultValue: 30000 },
  { name: 'replica.fetch.max.bytes', type: ConfigType.int, defaultValue: 1048576 },
  // Replication (docs/replication.md): followers' fetches, leases, controlled shutdown.
  { name: 'replica.fetch.wait.max.ms', type: ConfigType.int, defaultValue: 500, validate: atLeast(0) },
  { name: 'replica.fetch.min.bytes', type: ConfigType.int, defaultValue: 1, validate: atLeast(1) },
  { name: 'replica.fetch.response.max.bytes', type: ConfigType.int, defaultValue: 10485760, validate: atLeast(0) },
  { name: 'replica.fetch.backoff.ms', type: ConfigType.int, defaultValue: 1000, validate: atLeast(0) },
  { name: 'replica.socket.timeout.ms', type: ConfigType.int, defaultValue: 30000 },
  { name: 'broker.session.timeout.ms', type: ConfigType.int, defaultValue: 9000, validate: atLeast(1000), readOnly: true },
  { name: 'controlled.shutdown.enable', type: ConfigType.boolean, defaultValue: true },
  { name: 'controlled.shutdown.max.retries', type: ConfigType.int, defaultValue: 3 },
  { name: 'controlled.shutdown.retry.backoff.ms', type: ConfigType.long, defaultValue: 5000 },
  { name: 'auto.leader.rebalance.enable', type: ConfigType.boolean, defaultValue: true },
  { name: 'leader.imbalance.check.interval.seconds', type: ConfigType.long, defaultValue: 300, validate: atLeast(1) },
  { name: 'leader.imbalance.per.broker.percentage', type: ConfigType.int, defaultValue: 10, validate: atLeast(0) },
  { name: 'fetch.max.bytes', type: ConfigType.int, defaultValue: 57671680 },
  { name: 'max.incremental.fetch.session.cache.slots', type: ConfigType.int, defaultValue: 1000, validate: atLeast(0) },
  { name: 'cluster.id', type: ConfigType.string, defaultValue: null, readOnly: true },
  // Samsa's own: segment files kept open at once (LRU; clamped to half of the fd limit).
  { name: 'log.open.files.max', type: ConfigType.int, defaultValue: 4096, validate: atLeast(16), readOnly: true },
  // Replication throttling (replication/replication-quota.ts; kafka-reassign-partitions.sh --throttle):
  // bytes per second of replication traffic of the replicas listed in the topics'
  // *.replication.throttled.replicas, measured over window.num windows of window.size.seconds.
  { name: 'leader.replication.throttled.rate', type: ConfigType.long, defaultValue: LONG_MAX, validate: atLeast(1) },
  { name: 'follower.replication.throttled.rate', type: ConfigType.long, defaultValue: LONG_MAX, validate: atLeast(1) },
  // AlterReplicaLogDirs: bytes/s of a replica's copy into another log dir (unbounded by default).
  { name: 'replica.alter.log.dirs.io.max.bytes.per.second', type: ConfigType.long, defaultValue: LONG_MAX, validate: atLeast(1) },
  { name: 'replication.quota.window.num', type: ConfigType.int, defaultValue: 11, validate: atLeast(1), readOnly: true },
  { name: 'replication.quota.window.size.seconds', type: ConfigType.int, defaultValue: 1, validate: atLeast(1), readOnly: true },
  // Recognised for compatibility with Kafka's sample server.properties; no effect on a Samsa broker.
  { name: 'process.roles', type: ConfigType.list, defaultValue: [], inert: true },
  { name: 'controller.quorum.voters', type: ConfigType.list, defaultValue: [], inert: true },
  { name: 'controller.quorum.bootstrap.servers', type: ConfigType.list, defaultValue: [], inert: true },
  { name: 'controller.listener.names', type: ConfigType.list, defaultValue: [], inert: true },
  { name: 'inter.broker.listener.name', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'listener.security.protocol.map', type: ConfigType.list, defaultValue: ['SASL_SSL:SASL_SSL', 'PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT'], readOnly: true },
  // Security (src/config/listener-security.ts): TLS key material as PEM or PKCS12 (files or inline PEM), SASL mechanisms.
  // Each may also be set per listener as listener.name.<listener>.<name> (Kafka's listener prefix).
  { name: 'ssl.keystore.type', type: ConfigType.string, defaultValue: 'JKS', readOnly: true },
  { name: 'ssl.keystore.location', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'ssl.keystore.password', type: ConfigType.password, defaultValue: null, readOnly: true, sensitive: true },
  { name: 'ssl.key.password', type: ConfigType.password, defaultValue: null, readOnly: true, sensitive: true },
  { name: 'ssl.keystore.certificate.chain', type: ConfigType.password, defaultValue: null, readOnly: true, sensitive: true },
  { name: 'ssl.keystore.key', type: ConfigType.password, defaultValue: null, readOnly: true, sensitive: true },
  { name: 'ssl.truststore.type', type: ConfigType.string, defaultValue: 'JKS', readOnly: true },
  { name: 'ssl.truststore.location', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'ssl.truststore.password', type: ConfigType.password, defaultValue: null, readOnly: true, sensitive: true },
  { name: 'ssl.truststore.certificates', type: ConfigType.password, defaultValue: null, readOnly: true, sensitive: true },
  { name: 'ssl.client.auth', type: ConfigType.string, defaultValue: 'none', readOnly: true, validate: oneOf('none', 'requested', 'required') },
  { name: 'ssl.principal.mapping.rules', type: ConfigType.string, defaultValue: 'DEFAULT', readOnly: true },
  { name: 'ssl.protocol', type: ConfigType.string, defaultValue: 'TLSv1.3', readOnly: true },
  { name: 'ssl.enabled.protocols', type: ConfigType.list, defaultValue: ['TLSv1.2', 'TLSv1.3'], readOnly: true },
  { name: 'ssl.cipher.suites', type: ConfigType.list, defaultValue: [], readOnly: true },
  { name: 'ssl.endpoint.identification.algorithm', type: ConfigType.string, defaultValue: 'https', readOnly: true },
  { name: 'ssl.keymanager.algorithm', type: ConfigType.string, defaultValue: 'SunX509', inert: true },
  { name: 'ssl.trustmanager.algorithm', type: ConfigType.string, defaultValue: 'PKIX', inert: true },
  { name: 'ssl.secure.random.implementation', type: ConfigType.string, defaultValue: null, inert: true },
  { name: 'ssl.provider', type: ConfigType.string, defaultValue: null, inert: true },
  { name: 'sasl.enabled.mechanisms', type: ConfigType.list, defaultValue: ['GSSAPI'], readOnly: true },
  { name: 'sasl.mechanism.inter.broker.protocol', type: ConfigType.string, defaultValue: 'GSSAPI', readOnly: true },
  { name: 'sasl.server.max.receive.size', type: ConfigType.int, defaultValue: 524288, readOnly: true, validate: atLeast(1) },
  { name: 'connection.failed.authentication.delay.ms', type: ConfigType.int, defaultValue: 100, validate: atLeast(0) },
  { name: 'num.network.threads', type: ConfigType.int, defaultValue: 3, inert: true },
  { name: 'num.io.threads', type: ConfigType.int, defaultValue: 8, inert: true },
  { name: 'num.recovery.threads.per.data.dir', type: ConfigType.int, defaultValue: 2, inert: true },
  { name: 'num.replica.fetchers', type: ConfigType.int, defaultValue: 1, inert: true },
  { name: 'socket.send.buffer.bytes', type: ConfigType.int, defaultValue: 102400, inert: true },
  { name: 'socket.receive.buffer.bytes', type: ConfigType.int, defaultValue: 102400, inert: true },
  { name: 'metadata.log.dir', type: ConfigType.string, defaultValue: null, inert: true },
  // Observability (docs/observability.md). Samsa's own: an HTTP listener for /metrics (Prometheus)
  // and /health/live, /health/ready; off unless set (e.g. http://127.0.0.1:9644).
  { name: 'metrics.listeners', type: ConfigType.list, defaultValue: [], readOnly: true, validate: (v) => (Array.isArray(v) && v.every((l) => typeof l === 'string' && /^http:\/\/(\[[^\]]*\]|[^:/]*):\d+\/?$/.test(l)) ? undefined : 'each listener must look like http://host:port') },
  // Per-partition series (kafka_log_log_*) are left out above this many hosted partitions.
  { name: 'metrics.partition.series.max', type: ConfigType.int, defaultValue: 10000, readOnly: true, validate: atLeast(0) },
  // Logging: root level, per-component levels (component=level, e.g. network=debug,request=debug),
  // and the line format of the process log (auto: pretty on a terminal, else JSON lines).
  { name: 'log.level', type: ConfigType.string, defaultValue: 'info', validate: (v) => (typeof v === 'string' && /^(fatal|error|warn|info|debug|trace)$/i.test(v) ? undefined : 'must be one of fatal, error, warn, info, debug, trace') },
  { name: 'log.levels', type: ConfigType.list, defaultValue: [], validate: (v) => (Array.isArray(v) && v.every((e) => typeof e === 'string' && /^[\w.-]+=(fatal|error|warn|info|debug|trace)$/i.test(e)) ? undefined : 'entries must be component=level') },
  { name: 'log.format', type: ConfigType.string, defaultValue: 'auto', readOnly: true, validate: oneOf('auto', 'json', 'pretty') },
  // Fetch from follower (KIP-392): the built-in selectors, by Kafka's class names (replica-selector.ts).
  { name: 'replica.selector.class', type: ConfigType.string, defaultValue: null, readOnly: true, validate: oneOf('org.apache.kafka.common.replica.RackAwareReplicaSelector', 'org.apache.kafka.common.replica.LeaderSelector') },
  // Client quotas (broker/quotas/; DescribeClientQuotas / AlterClientQuotas, `samsa quotas`): rates
  // measured over quota.window.num windows of quota.window.size.seconds (Kafka's defaults 11 and 1).
  { name: 'quota.window.num', type: ConfigType.int, defaultValue: 11, validate: atLeast(1), readOnly: true },
  { name: 'quota.window.size.seconds', type: ConfigType.int, defaultValue: 1, validate: atLeast(1), readOnly: true },
  // Connections accepted per second, broker-wide (listener.name.<l>.max.connection.creation.rate per listener).
  { name: 'max.connection.creation.rate', type: ConfigType.int, defaultValue: 2147483647, validate: atLeast(0) },
  // controller_mutation_rate (KIP-599) token buckets: rate × num × size seconds of burst (broker/quotas/controller-mutation-quota.ts).
  { name: 'controller.quota.window.num', type: ConfigType.int, defaultValue: 11, validate: atLeast(1), readOnly: true },
  { name: 'controller.quota.window.size.seconds', type: ConfigType.int, defaultValue: 1, validate: atLeast(1), readOnly: true },
  // SASL/OAUTHBEARER (auth/oauth/): Kafka's unsecured JWS validator by default, KIP-768's JWKS
  // validator when the server callback handler names Kafka's OAuthBearerValidatorCallbackHandler
  // (or a JWKS endpoint is set). All may carry listener.name.<l>.[oauthbearer.] prefixes.
  { name: 'sasl.server.callback.handler.class', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'sasl.oauthbearer.jwks.endpoint.url', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'sasl.oauthbearer.jwks.endpoint.refresh.ms', type: ConfigType.long, defaultValue: 3_600_000, readOnly: true, validate: atLeast(0) },
  { name: 'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', type: ConfigType.long, defaultValue: 100, readOnly: true, validate: atLeast(0) },
  { name: 'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', type: ConfigType.long, defaultValue: 10_000, readOnly: true, validate: atLeast(0) },
  { name: 'sasl.oauthbearer.expected.audience', type: ConfigType.list, defaultValue: [], readOnly: true },
  { name: 'sasl.oauthbearer.expected.issuer', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'sasl.oauthbearer.sub.claim.name', type: ConfigType.string, defaultValue: 'sub', readOnly: true },
  { name: 'sasl.oauthbearer.scope.claim.name', type: ConfigType.string, defaultValue: 'scope', readOnly: true },
  { name: 'sasl.oauthbearer.clock.skew.seconds', type: ConfigType.int, defaultValue: 30, readOnly: true, validate: atLeast(0) },
  // Re-authentication (KIP-368): 0 = sessions do not expire (except an OAUTHBEARER token's, as Kafka).
  { name: 'connections.max.reauth.ms', type: ConfigType.long, defaultValue: 0, readOnly: true },
  // Certificate reload (dynamic ssl.keystore.* / ssl.truststore.*): Kafka refuses a new key store
  // whose subject / subject alternative names differ from the old one unless these are true.
  { name: 'ssl.allow.dn.changes', type: ConfigType.boolean, defaultValue: false, readOnly: true },
  { name: 'ssl.allow.san.changes', type: ConfigType.boolean, defaultValue: false, readOnly: true },
  // REST proxy (docs/rest-proxy.md, src/rest/): Confluent's REST Proxy API served from the broker
  // process, talking to this broker's own listener; off unless set (e.g. http://127.0.0.1:8082).
  // consumer.* and schema.registry.url are Confluent REST Proxy's own names.
  { name: 'rest.proxy.listeners', type: ConfigType.list, defaultValue: [], readOnly: true, validate: (v) => (Array.isArray(v) && v.length <= 1 && v.every((l) => typeof l === 'string' && /^http:\/\/(\[[^\]]*\]|[^:/]*):\d+\/?$/.test(l)) ? undefined : 'at most one listener, like http://host:port') },
  { name: 'schema.registry.url', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'consumer.instance.timeout.ms', type: ConfigType.int, defaultValue: 300000, readOnly: true, validate: atLeast(1) },
  { name: 'consumer.request.timeout.ms', type: ConfigType.int, defaultValue: 1000, readOnly: true, validate: atLeast(0) },
  { name: 'consumer.request.max.bytes', type: ConfigType.int, defaultValue: 67108864, readOnly: true, validate: atLeast(1) },
  { name: 'rest.proxy.max.request.bytes', type: ConfigType.int, defaultValue: 67108864, readOnly: true, validate: atLeast(1024) },
  { name: 'rest.proxy.consumer.instances.max', type: ConfigType.int, defaultValue: 1000, readOnly: true, validate: atLeast(1) },
  { name: 'rest.proxy.records.per.request.max', type: ConfigType.int, defaultValue: 10000, readOnly: true, validate: atLeast(1) },
  // The web console (src/console, docs/console.md) served by the broker as a client of its own
  // PLAINTEXT listener; off unless set (e.g. http://127.0.0.1:8080; `samsa start --console`).
  { name: 'console.listeners', type: ConfigType.list, defaultValue: [], readOnly: true, validate: (v) => (Array.isArray(v) && v.length <= 1 && v.every((l) => typeof l === 'string' && /^http:\/\/(\[[^\]]*\]|[^:/]*):\d+\/?$/.test(l)) ? undefined : 'one listener, like http://host:port') },
  // Inter-broker security (config/inter-broker-security.ts): the listener named like this protocol, when inter.broker.listener.name is not set.
  { name: 'security.inter.broker.protocol', type: ConfigType.string, defaultValue: 'PLAINTEXT', readOnly: true, validate: oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL') },
  // Schema registry in the broker process (docs/schema-registry.md): its HTTP listener (off unless
  // set, e.g. http://127.0.0.1:8081) and the URL other registry instances forward writes to.
  { name: 'schema.registry.listeners', type: ConfigType.list, defaultValue: [], readOnly: true, validate: (v) => (Array.isArray(v) && v.length <= 1 && v.every((l) => typeof l === 'string' && /^http:\/\/(\[[^\]]*\]|[^:/]*):\d+\/?$/.test(l)) ? undefined : 'one listener, like http://host:port') },
  { name: 'schema.registry.advertised.listener', type: ConfigType.string, defaultValue: null, readOnly: true },
  // The SASL mechanism of the broker's REST proxy when it connects to a SASL listener (HTTP basic
  // credentials are its login, src/rest/embedded.ts); unset: PLAIN, SCRAM-SHA-512, SCRAM-SHA-256, first enabled.
  { name: 'rest.proxy.sasl.mechanism', type: ConfigType.string, defaultValue: null, readOnly: true, validate: (v) => (v === null || (typeof v === 'string' && ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(v.toUpperCase())) ? undefined : 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512') },
  // The Kafka Connect REST URL whose connectors the broker's console (console.listeners) shows
  // (`samsa console --connect`); unset: no Connect pages. User info in it logs in (HTTP basic).
  // Kafka client properties (security.protocol, sasl.*, ssl.*) the broker's console logs in with,
  // on the first listener of that protocol; unset: a PLAINTEXT listener, else the inter-broker one.
  { name: 'console.command.config', type: ConfigType.string, defaultValue: null, readOnly: true },
  { name: 'console.connect.url', type: ConfigType.string, defaultValue: null, readOnly: true, sensitive: true, validate: (v) => (v === null || (typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v)) ? undefined : 'an http:// or https:// URL') },
  // Samsa's own (docs/zero-copy.md): Fetch answers' record bytes go from the segment files to
  // plaintext sockets with sendfile when the native addon is built (Kafka always does so).
  { name: 'fetch.zero.copy.enable', type: ConfigType.boolean, defaultValue: true, readOnly: true },
  // Samsa's own (src/common/gc-headroom.ts): room in MB `samsa start` keeps in V8's old generation
  // above the live heap, so a small heap under load is not fully collected every few seconds; 0: V8's own.
  { name: 'gc.old.generation.headroom.mb', type: ConfigType.int, defaultValue: 48, readOnly: true, validate: atLeast(0) },
];

export const brokerConfigDefs: readonly ConfigKeyDef[] = own;
export const brokerConfigByName: ReadonlyMap<string, ConfigKeyDef> = new Map(own.map((d) => [d.name, d]));
export const HOURS = HOUR_MS;
