/**
 * MirrorSourceConnector (org.apache.kafka.connect.mirror.MirrorSourceConnector): copies the
 * topics of the source cluster that `topics` / `topics.exclude` let through to the target, named
 * by the replication policy (`A.orders`), with each record's key, value, headers, timestamp and
 * partition, and writes offset syncs so MirrorCheckpoint can translate consumer offsets.
 *
 * Kafka's rules kept: the target topic is created with the source's partition count
 * (`replication.factor`, default 2, at most the broker count) and the source's non-default
 * configs (less `config.properties.exclude`); new source topics, added partitions and changed
 * configs are picked up every `refresh.topics.interval.seconds` / `sync.topic.configs.interval
 * .seconds`; the source partition of a record is {cluster, topic, partition} and its offset
 * {offset}, so a restarted task resumes after the last committed one (a new partition starts at
 * the earliest offset); an offset sync {topic, partition, upstreamOffset, offset} goes to
 * `mm2-offset-syncs.<target>.internal` (on the source unless `offset-syncs.topic.location=target`)
 * once the record is written, for the first record of the task's lifetime, when the upstream
 * offsets skip (compaction, transactions), when the target offset went backwards, and when the
 * last sync is `offset.lag.max` (default 100) records old. Samsa's deviation: the tasks discover
 * the partitions themselves (settings.ts), and the task with index 0 keeps the target topics'
 * configs in step.
 */
import { AdminError, tpKey, type TopicPartitionKey } from '../../client/admin.js';
import type { ClusterClient } from '../../client/cluster-client.js';
import { fetchRound, offsetsAt } from '../../client/partition-fetcher.js';
import { produceRecords } from '../../client/record-producer.js';
import { alterTopicConfigs, createPartitions, describeTopicConfigs } from '../../client/topic-admin.js';
import type { ConnectorPlugin, ConnectRecord, JsonObject, SourceTask, TaskConfig, TaskContext } from '../api.js';
import { ensureTopic } from '../topics.js';
import { encodeOffsetSync, type OffsetSync } from './formats.js';
import { DEFAULTS, nameFilter, regexList, shouldReplicateTopic } from './policy.js';
import { boolSetting, CLUSTERS_CONFIG, clusterClient, intSetting, mirrorSettings, Outage, owns, secondsSetting, sleep, splitTasks, type MirrorSettings } from './settings.js';

const OFFSET_OUT_OF_RANGE = 1;
const INVALID_PARTITIONS = 37;
/** Offset syncs waiting for the next poll at most (more are dropped: translation then uses older ones). */
const MAX_PENDING_SYNCS = 100_000;

/** When to write an offset sync for one partition (Kafka's MirrorSourceTask.PartitionState). */
export class SyncState {
  private previousUpstream = -1n;
  private previousDownstream = -1n;
  private lastSyncDownstream = -1n;
  constructor(private readonly maxLag: bigint) {}

  /** Records a copied record; true when an offset sync should be written for it. */
  update(upstream: bigint, downstream: bigint): boolean {
    const first = this.lastSyncDownstream === -1n;
    const stale = downstream - (this.lastSyncDownstream + 1n) >= this.maxLag;
    const skipped = upstream - this.previousUpstream !== 1n;
    const truncated = downstream < this.previousDownstream;
    const sync = first || stale || skipped || truncated;
    if (sync) this.lastSyncDownstream = downstream;
    this.previousUpstream = upstream;
    this.previousDownstream = downstream;
    return sync;
  }
}

interface Position {
  topic: string;
  partition: number;
  offset: bigint;
}

class MirrorSourceTask implements SourceTask {
  private s!: MirrorSettings;
  private config: TaskConfig = {};
  private context!: TaskContext;
  private source!: ClusterClient;
  private target!: ClusterClient;
  private syncs!: ClusterClient;
  private syncsTopic = '';
  private syncsTopicReady = false;
  private filter: (topic: string) => boolean = () => false;
  private configExclude = /(?!)/;
  private readonly positions = new Map<TopicPartitionKey, Position>();
  private readonly states = new Map<string, SyncState>();
  private pendingSyncs: OffsetSync[] = [];
  private nextRefresh = 0;
  private nextConfigSync = 0;
  private maxLag = 100n;
  /** A source or target unreachable for longer than this fails the task. */
  private readonly outage = new Outage(300_000);

  async start(config: TaskConfig, context: TaskContext): Promise<void> {
    this.config = config;
    this.context = context;
    this.s = mirrorSettings(config);
    this.filter = nameFilter(config, 'topics');
    this.configExclude = regexList(config['config.properties.exclude'] ?? config['config.properties.blacklist'] ?? DEFAULTS['config.properties.exclude'], 'config.properties.exclude');
    this.maxLag = BigInt(intSetting(config, 'offset.lag.max', 100));
    const id = `mm2-${this.s.source}->${this.s.target}-source-${this.s.taskIndex}`;
    this.source = clusterClient(this.s.sourceBootstrap, id);
    this.target = clusterClient(this.s.targetBootstrap, id);
    this.syncs = (config['offset-syncs.topic.location'] ?? 'source') === 'target' ? this.target : this.source;
    this.syncsTopic = this.s.policy.offsetSyncsTopic(this.s.target);
  }

  private sourcePartition(topic: string, partition: number): JsonObject {
    return { cluster: this.s.source, topic, partition };
  }

  /** Finds the partitions to copy, creates or grows their target topics, and syncs configs. */
  private async refreshTopics(): Promise<void> {
    const now = performance.now();
    const syncConfigs = this.s.taskIndex === 0 && boolSetting(this.config, 'sync.topic.configs.enabled', true) && now >= this.nextConfigSync;
    const meta = await this.source.refresh();
    const targetMeta = await this.target.refresh();
    for (const t of meta.topics.values()) {
      if (t.errorCode !== 0 || t.internal || !shouldReplicateTopic(this.s.policy, this.filter, this.s.target, t.name)) continue;
      const mine = t.partitions.filter((p) => owns(`${t.name}-${p.partition}`, this.s.taskIndex, this.s.taskCount));
      const fresh = mine.filter((p) => !this.positions.has(tpKey(t.name, p.partition)));
      if (fresh.length === 0 && !syncConfigs) continue;
      const remote = this.s.policy.formatRemoteTopic(this.s.source, t.name);
      const configs = boolSetting(this.config, 'sync.topic.configs.enabled', true) ? await this.topicConfigs(t.name) : {};
      const known = targetMeta.topics.get(remote);
      if (!known || known.errorCode !== 0) await ensureTopic(this.target, remote, t.partitions.length, intSetting(this.config, 'replication.factor', 2), configs);
      else {
        // INVALID_PARTITIONS: another task grew it first.
        if (known.partitions.length < t.partitions.length) await createPartitions(this.target, remote, t.partitions.length).catch((e: unknown) => (e instanceof AdminError && e.code === INVALID_PARTITIONS ? undefined : Promise.reject(e)));
        if (syncConfigs) await this.alterConfigs(remote, configs);
      }
      if (fresh.length === 0) continue;
      const unstarted = fresh.filter((p) => this.committed(t.name, p.partition) === null);
      const earliest = unstarted.length > 0 ? await offsetsAt(this.source, unstarted.map((p) => ({ topic: t.name, partition: p.partition })), -2n) : new Map<TopicPartitionKey, bigint>();
      for (const p of fresh) {
        const key = tpKey(t.name, p.partition);
        const c = this.committed(t.name, p.partition);
        this.positions.set(key, { topic: t.name, partition: p.partition, offset: c !== null ? c + 1n : (earliest.get(key) ?? 0n) });
      }
    }
    // Only a refresh that got through waits for the next interval (a failed one is retried at the next poll).
    this.nextRefresh = now + secondsSetting(this.config, 'refresh.topics.interval.seconds', 600);
    if (syncConfigs) this.nextConfigSync = now + secondsSetting(this.config, 'sync.topic.configs.interval.seconds', 600);
  }

  private committed(topic: string, partition: number): bigint | null {
    const o = this.context.offset(this.sourcePartition(topic, partition))?.['offset'];
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? BigInt(o) : null;
  }

  private async topicConfigs(topic: string): Promise<Record<string, string>> {
    const entries = await describeTopicConfigs(this.source, topic).catch(() => []);
    const out: Record<string, string> = {};
    for (const e of entries) if (!e.isDefault && !e.readOnly && !e.sensitive && e.value !== null && !this.configExclude.test(e.name)) out[e.name] = e.value;
    return out;
  }

  private async alterConfigs(remote: string, wanted: Record<string, string>): Promise<void> {
    const current = new Map((await describeTopicConfigs(this.target, remote).catch(() => [])).map((e) => [e.name, e.value]));
    const changes = Object.entries(wanted)
      .filter(([k, v]) => current.get(k) !== v)
      .map(([name, value]) => ({ name, op: 'SET' as const, value }));
    if (changes.length > 0) await alterTopicConfigs(this.target, remote, changes);
  }

  async poll(): Promise<ConnectRecord[]> {
    return this.outage.guard(() => this.copy(), []);
  }

  private async copy(): Promise<ConnectRecord[]> {
    if (!this.syncsTopicReady) {
      await ensureTopic(this.syncs, this.syncsTopic, 1, intSetting(this.config, 'offset-syncs.topic.replication.factor', 3), { 'cleanup.policy': 'compact' });
      this.syncsTopicReady = true;
    }
    if (performance.now() >= this.nextRefresh) await this.refreshTopics();
    await this.flushSyncs();
    if (this.positions.size === 0) {
      await sleep(200);
      return [];
    }
    const round = await fetchRound(this.source, this.positions, { maxWaitMs: 500, minBytes: 1, maxBytes: 1024 * 1024 });
    const out: ConnectRecord[] = [];
    for (const r of round.records) {
      out.push({
        topic: this.s.policy.formatRemoteTopic(this.s.source, r.topic),
        kafkaPartition: r.partition,
        keySchema: { type: 'bytes', optional: true },
        key: r.key,
        valueSchema: { type: 'bytes', optional: true },
        value: r.value,
        timestamp: Number(r.timestamp),
        headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
        sourcePartition: this.sourcePartition(r.topic, r.partition),
        sourceOffset: { offset: Number(r.offset) },
      });
    }
    for (const [k, offset] of round.next) {
      const p = this.positions.get(k);
      if (p) p.offset = offset;
    }
    const outOfRange = round.errors.filter((e) => e.errorCode === OFFSET_OUT_OF_RANGE);
    if (outOfRange.length > 0) {
      const earliest = await offsetsAt(this.source, outOfRange, -2n);
      for (const e of outOfRange) {
        const p = this.positions.get(tpKey(e.topic, e.partition));
        if (p) p.offset = earliest.get(tpKey(e.topic, e.partition)) ?? p.offset;
      }
    }
    if (round.errors.length > outOfRange.length) await this.source.refresh().catch(() => undefined);
    return out;
  }

  commitRecord(record: ConnectRecord, written: { topic: string; partition: number; offset: bigint }): void {
    const sp = record.sourcePartition;
    const upstream = record.sourceOffset?.['offset'];
    if (!sp || typeof upstream !== 'number' || written.offset < 0n) return;
    const topic = String(sp['topic']);
    const partition = Number(sp['partition']);
    const key = `${topic}\u0000${partition}`;
    let st = this.states.get(key);
    if (!st) this.states.set(key, (st = new SyncState(this.maxLag)));
    if (st.update(BigInt(upstream), written.offset) && this.pendingSyncs.length < MAX_PENDING_SYNCS) this.pendingSyncs.push({ topic, partition, upstreamOffset: BigInt(upstream), downstreamOffset: written.offset });
  }

  /** Writes the pending offset syncs, in order. */
  private async flushSyncs(): Promise<void> {
    if (this.pendingSyncs.length === 0) return;
    const syncs = this.pendingSyncs;
    this.pendingSyncs = [];
    try {
      // A sync the broker refuses is dropped (as Kafka's task does when its producer fails): the next one follows.
      await produceRecords(this.syncs, this.syncsTopic, syncs.map((s) => ({ ...encodeOffsetSync(s), partition: 0 })));
    } catch (e) {
      this.pendingSyncs = [...syncs, ...this.pendingSyncs].slice(0, MAX_PENDING_SYNCS); // written at the next poll that gets through
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.flushSyncs().catch(() => undefined);
    this.source?.close();
    this.target?.close();
  }
}

export const mirrorSourceConnector: ConnectorPlugin = {
  className: 'org.apache.kafka.connect.mirror.MirrorSourceConnector',
  aliases: ['MirrorSourceConnector', 'MirrorSource'],
  type: 'source',
  version: '1.0.0',
  config: [
    ...CLUSTERS_CONFIG,
    { name: 'topics', type: 'LIST', required: false, defaultValue: DEFAULTS.topics, documentation: 'Topics to replicate (regexes)' },
    { name: 'topics.exclude', type: 'LIST', required: false, defaultValue: DEFAULTS['topics.exclude'], documentation: 'Topics not to replicate (regexes)' },
    { name: 'replication.factor', type: 'INT', required: false, defaultValue: '2', documentation: 'Replication factor of new target topics' },
    { name: 'refresh.topics.interval.seconds', type: 'LONG', required: false, defaultValue: '600', documentation: 'How often to look for new topics and partitions' },
    { name: 'sync.topic.configs.enabled', type: 'BOOLEAN', required: false, defaultValue: 'true', documentation: 'Whether to keep the target topics\u2019 configs in step' },
    { name: 'sync.topic.configs.interval.seconds', type: 'LONG', required: false, defaultValue: '600', documentation: 'How often to sync topic configs' },
    { name: 'offset.lag.max', type: 'LONG', required: false, defaultValue: '100', documentation: 'How out of date an offset sync may be' },
    { name: 'offset-syncs.topic.location', type: 'STRING', required: false, defaultValue: 'source', documentation: 'source or target: where the offset syncs topic is' },
    { name: 'replication.policy.class', type: 'CLASS', required: false, defaultValue: 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy', documentation: 'How remote topics are named' },
  ],
  taskConfigs: (config, maxTasks) => splitTasks(config, maxTasks),
  createSourceTask: () => new MirrorSourceTask(),
};
