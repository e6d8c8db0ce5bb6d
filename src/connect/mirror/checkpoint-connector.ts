/**
 * MirrorCheckpointConnector (org.apache.kafka.connect.mirror.MirrorCheckpointConnector): reads the
 * committed offsets of the source's consumer groups (`groups` / `groups.exclude`), translates them
 * through the offset syncs, and writes Checkpoints to `<source>.checkpoints.internal` on the
 * target; with `sync.group.offsets.enabled=true` it also commits the translated offsets to the
 * same group on the target, so the group can fail over and carry on from there.
 *
 * Kafka's rules kept: a checkpoint names the remote topic (`A.orders`) and carries the upstream
 * offset, the translated offset and the commit's metadata; it is written every
 * `emit.checkpoints.interval.seconds` (default 60) when it changed; only partitions of topics
 * MirrorSource copies are translated, and one with no sync at or before the committed offset is
 * left out; offsets are committed to a target group every `sync.group.offsets.interval.seconds`
 * (default 60) only while the group has no members there (an active group owns its offsets), only
 * for topics that exist on the target, and never backwards; groups are looked for every
 * `refresh.groups.interval.seconds` (default 600). Samsa's deviation: each task finds the groups
 * itself and takes those hashing to its index (settings.ts).
 */
import { openFirst } from '../../client/admin.js';
import type { ClusterClient } from '../../client/cluster-client.js';
import { GroupAdmin } from '../../client/group-admin.js';
import type { ConnectorPlugin, ConnectRecord, SourceTask, TaskConfig } from '../api.js';
import { ensureTopic } from '../topics.js';
import { encodeCheckpoint, type Checkpoint } from './formats.js';
import { OffsetSyncStore } from './offset-sync-store.js';
import { DEFAULTS, nameFilter, shouldReplicateTopic } from './policy.js';
import { atMost, boolSetting, CLUSTERS_CONFIG, clusterClient, intSetting, mirrorSettings, Outage, owns, secondsSetting, sleep, splitTasks, type MirrorSettings } from './settings.js';

/** Protocol types of groups whose offsets are consumer offsets ("" for a group that only has commits). */
const CONSUMER_PROTOCOLS = new Set(['consumer', '']);

class MirrorCheckpointTask implements SourceTask {
  private s!: MirrorSettings;
  private config: TaskConfig = {};
  private readonly admins: { source: GroupAdmin | null; target: GroupAdmin | null } = { source: null, target: null };
  private target!: ClusterClient;
  private source!: ClusterClient;
  private syncs: OffsetSyncStore | null = null;
  private checkpointsTopic = '';
  private topicFilter: (t: string) => boolean = () => false;
  private groupFilter: (g: string) => boolean = () => false;
  private groups: string[] = [];
  /** The last checkpoint of each group, by `<remote topic>\0<partition>`. */
  private readonly checkpoints = new Map<string, Map<string, Checkpoint>>();
  private nextGroupRefresh = 0;
  private nextEmit = 0;
  private nextSync = 0;
  private stopping = false;
  private id = '';
  /** A source or target unreachable for longer than this fails the task. */
  private readonly outage = new Outage(300_000);

  async start(config: TaskConfig): Promise<void> {
    this.config = config;
    this.s = mirrorSettings(config);
    this.topicFilter = nameFilter(config, 'topics');
    this.groupFilter = nameFilter(config, 'groups');
    this.id = `mm2-${this.s.source}->${this.s.target}-checkpoint-${this.s.taskIndex}`;
    this.source = clusterClient(this.s.sourceBootstrap, this.id);
    this.target = clusterClient(this.s.targetBootstrap, this.id);
    this.checkpointsTopic = this.s.policy.checkpointsTopic(this.s.source);
  }

  /** The group admin of a side, its connection opened again when the broker dropped it. */
  private async admin(side: 'source' | 'target'): Promise<GroupAdmin> {
    const cur = this.admins[side];
    if (cur && !cur.bootstrap.client.closed) return cur;
    cur?.close();
    const a = new GroupAdmin(await openFirst(side === 'source' ? this.s.sourceBootstrap : this.s.targetBootstrap, { clientId: this.id }));
    this.admins[side] = a;
    return a;
  }

  /** The offset syncs (read from the beginning) and the checkpoints topic, at the first poll that reaches both clusters. */
  private async offsetSyncs(): Promise<OffsetSyncStore> {
    if (this.syncs) return this.syncs;
    const syncsCluster = (this.config['offset-syncs.topic.location'] ?? 'source') === 'target' ? this.target : this.source;
    const store = new OffsetSyncStore(syncsCluster, this.s.policy.offsetSyncsTopic(this.s.target), intSetting(this.config, 'offset-syncs.topic.replication.factor', 3), () => undefined);
    try {
      await store.start();
      await ensureTopic(this.target, this.checkpointsTopic, 1, intSetting(this.config, 'checkpoints.topic.replication.factor', 3), { 'cleanup.policy': 'compact' });
    } catch (e) {
      await store.stop();
      throw e;
    }
    this.syncs = store;
    return store;
  }

  async poll(): Promise<ConnectRecord[]> {
    return this.outage.guard(() => this.step(), []);
  }

  private async step(): Promise<ConnectRecord[]> {
    await this.offsetSyncs();
    const now = performance.now();
    if (now >= this.nextGroupRefresh) {
      const listed = await (await this.admin('source')).list();
      this.nextGroupRefresh = now + secondsSetting(this.config, 'refresh.groups.interval.seconds', 600);
      this.groups = listed.filter((g) => CONSUMER_PROTOCOLS.has(g.protocolType) && this.groupFilter(g.group) && owns(g.group, this.s.taskIndex, this.s.taskCount)).map((g) => g.group);
    }
    let out: ConnectRecord[] = [];
    if (now >= this.nextEmit && boolSetting(this.config, 'emit.checkpoints.enabled', true)) {
      this.nextEmit = now + secondsSetting(this.config, 'emit.checkpoints.interval.seconds', 60);
      out = await this.emitCheckpoints();
    }
    if (now >= this.nextSync && boolSetting(this.config, 'sync.group.offsets.enabled', false)) {
      this.nextSync = now + secondsSetting(this.config, 'sync.group.offsets.interval.seconds', 60);
      await this.syncGroupOffsets();
    }
    if (out.length === 0) {
      const next = Math.min(this.nextGroupRefresh, this.nextEmit, boolSetting(this.config, 'sync.group.offsets.enabled', false) ? this.nextSync : Infinity);
      const wait = Math.max(0, Math.min(500, next - performance.now()));
      if (!this.stopping && wait > 0) await sleep(wait);
    }
    return out;
  }

  private async emitCheckpoints(): Promise<ConnectRecord[]> {
    // The syncs written so far; bounded, so a source lost meanwhile cannot hold the task (and its stop) forever.
    const syncs = await this.offsetSyncs();
    await atMost(syncs.readToEnd(), 10_000);
    const admin = await this.admin('source');
    const out: ConnectRecord[] = [];
    for (const group of this.groups) {
      const committed = await admin.committed(group).catch(() => null);
      if (committed === null) continue;
      let last = this.checkpoints.get(group);
      if (!last) this.checkpoints.set(group, (last = new Map()));
      for (const [topic, partitions] of committed) {
        if (!shouldReplicateTopic(this.s.policy, this.topicFilter, this.s.target, topic)) continue;
        const remote = this.s.policy.formatRemoteTopic(this.s.source, topic);
        for (const [partition, upstream] of partitions) {
          const downstream = syncs.index.translate(topic, partition, upstream);
          if (downstream === null) continue;
          const key = `${remote}\u0000${partition}`;
          const prev = last.get(key);
          if (prev && prev.upstreamOffset === upstream && prev.downstreamOffset === downstream) continue;
          const c: Checkpoint = { group, topic: remote, partition, upstreamOffset: upstream, downstreamOffset: downstream, metadata: '' };
          last.set(key, c);
          const { key: k, value: v } = encodeCheckpoint(c);
          out.push({ topic: this.checkpointsTopic, kafkaPartition: 0, keySchema: { type: 'bytes', optional: true }, key: k, valueSchema: { type: 'bytes', optional: true }, value: v, timestamp: Date.now(), headers: [], sourcePartition: { group, topic: remote, partition }, sourceOffset: { offset: 0 } });
        }
      }
    }
    return out;
  }

  /** Commits the translated offsets of each group that is not active on the target, forward only. */
  private async syncGroupOffsets(): Promise<void> {
    const meta = await this.target.refresh();
    const admin = await this.admin('target');
    for (const [group, last] of this.checkpoints) {
      if (last.size === 0) continue;
      const info = await admin.describe(group).catch(() => null);
      if (info === null || info.members.length > 0) continue;
      const current = await admin.committed(group).catch(() => null);
      if (current === null) continue;
      const offsets = [...last.values()]
        .filter((c) => meta.topics.has(c.topic) && c.partition < (meta.topics.get(c.topic)?.partitions.length ?? 0))
        .filter((c) => {
          const cur = current.get(c.topic)?.get(c.partition);
          return cur === undefined || cur < c.downstreamOffset;
        })
        .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.downstreamOffset }));
      if (offsets.length > 0) await admin.commit(group, offsets);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.syncs?.stop();
    for (const a of [this.admins.source, this.admins.target]) {
      a?.close();
      a?.bootstrap.close();
    }
    this.source?.close();
    this.target?.close();
  }
}

export const mirrorCheckpointConnector: ConnectorPlugin = {
  className: 'org.apache.kafka.connect.mirror.MirrorCheckpointConnector',
  aliases: ['MirrorCheckpointConnector', 'MirrorCheckpoint'],
  type: 'source',
  version: '1.0.0',
  config: [
    ...CLUSTERS_CONFIG,
    { name: 'groups', type: 'LIST', required: false, defaultValue: DEFAULTS.groups, documentation: 'Consumer groups to checkpoint (regexes)' },
    { name: 'groups.exclude', type: 'LIST', required: false, defaultValue: DEFAULTS['groups.exclude'], documentation: 'Consumer groups not to checkpoint (regexes)' },
    { name: 'emit.checkpoints.interval.seconds', type: 'LONG', required: false, defaultValue: '60', documentation: 'How often to write checkpoints' },
    { name: 'sync.group.offsets.enabled', type: 'BOOLEAN', required: false, defaultValue: 'false', documentation: 'Whether to commit translated offsets to the target groups' },
    { name: 'sync.group.offsets.interval.seconds', type: 'LONG', required: false, defaultValue: '60', documentation: 'How often to commit translated offsets' },
    { name: 'refresh.groups.interval.seconds', type: 'LONG', required: false, defaultValue: '600', documentation: 'How often to look for new groups' },
  ],
  taskConfigs: (config, maxTasks) => splitTasks(config, maxTasks),
  createSourceTask: () => new MirrorCheckpointTask(),
};
