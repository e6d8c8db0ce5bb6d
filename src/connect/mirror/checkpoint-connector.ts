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
import { boolSetting, clusterClient, intSetting, mirrorSettings, Outage, owns, secondsSetting, sleep, splitTasks, type MirrorSettings } from './settings.js';

/** Protocol types of groups whose offsets are consumer offsets ("" for a group that only has commits). */
const CONSUMER_PROTOCOLS = new Set(['consumer', '']);

class MirrorCheckpointTask implements SourceTask {
  private s!: MirrorSettings;
  private config: TaskConfig = {};
  private sourceAdmin!: GroupAdmin;
  private targetAdmin!: GroupAdmin;
  private target!: ClusterClient;
  private source!: ClusterClient;
  private syncs!: OffsetSyncStore;
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
  /** A source or target unreachable for longer than this fails the task. */
  private readonly outage = new Outage(300_000);

  async start(config: TaskConfig): Promise<void> {
    this.config = config;
    this.s = mirrorSettings(config);
    this.topicFilter = nameFilter(config, 'topics');
    this.groupFilter = nameFilter(config, 'groups');
    const id = `mm2-${this.s.source}->${this.s.target}-checkpoint-${this.s.taskIndex}`;
    this.source = clusterClient(this.s.sourceBootstrap, id);
    this.target = clusterClient(this.s.targetBootstrap, id);
    this.sourceAdmin = new GroupAdmin(await openFirst(this.s.sourceBootstrap, { clientId: id }));
    this.targetAdmin = new GroupAdmin(await openFirst(this.s.targetBootstrap, { clientId: id }));
    const syncsCluster = (config['offset-syncs.topic.location'] ?? 'source') === 'target' ? this.target : this.source;
    this.syncs = new OffsetSyncStore(syncsCluster, this.s.policy.offsetSyncsTopic(this.s.target), intSetting(config, 'offset-syncs.topic.replication.factor', 3), () => undefined);
    await this.syncs.start();
    this.checkpointsTopic = this.s.policy.checkpointsTopic(this.s.source);
    await ensureTopic(this.target, this.checkpointsTopic, 1, intSetting(config, 'checkpoints.topic.replication.factor', 3), { 'cleanup.policy': 'compact' });
  }

  async poll(): Promise<ConnectRecord[]> {
    return this.outage.guard(() => this.step(), []);
  }

  private async step(): Promise<ConnectRecord[]> {
    const now = performance.now();
    if (now >= this.nextGroupRefresh) {
      this.nextGroupRefresh = now + secondsSetting(this.config, 'refresh.groups.interval.seconds', 600);
      const listed = await this.sourceAdmin.list();
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
    await this.syncs.readToEnd();
    const out: ConnectRecord[] = [];
    for (const group of this.groups) {
      const committed = await this.sourceAdmin.committed(group).catch(() => null);
      if (committed === null) continue;
      let last = this.checkpoints.get(group);
      if (!last) this.checkpoints.set(group, (last = new Map()));
      for (const [topic, partitions] of committed) {
        if (!shouldReplicateTopic(this.s.policy, this.topicFilter, this.s.target, topic)) continue;
        const remote = this.s.policy.formatRemoteTopic(this.s.source, topic);
        for (const [partition, upstream] of partitions) {
          const downstream = this.syncs.index.translate(topic, partition, upstream);
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
    for (const [group, last] of this.checkpoints) {
      if (last.size === 0) continue;
      const info = await this.targetAdmin.describe(group).catch(() => null);
      if (info === null || info.members.length > 0) continue;
      const current = await this.targetAdmin.committed(group).catch(() => null);
      if (current === null) continue;
      const offsets = [...last.values()]
        .filter((c) => meta.topics.has(c.topic) && c.partition < (meta.topics.get(c.topic)?.partitions.length ?? 0))
        .filter((c) => {
          const cur = current.get(c.topic)?.get(c.partition);
          return cur === undefined || cur < c.downstreamOffset;
        })
        .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.downstreamOffset }));
      if (offsets.length > 0) await this.targetAdmin.commit(group, offsets);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.syncs?.stop();
    this.sourceAdmin?.close();
    this.sourceAdmin?.bootstrap.close();
    this.targetAdmin?.close();
    this.targetAdmin?.bootstrap.close();
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
    { name: 'source.cluster.alias', type: 'STRING', required: false, defaultValue: 'source', documentation: 'Alias of the source cluster' },
    { name: 'target.cluster.alias', type: 'STRING', required: false, defaultValue: 'target', documentation: 'Alias of the target cluster' },
    { name: 'source.cluster.bootstrap.servers', type: 'LIST', required: true, documentation: 'Brokers of the source cluster' },
    { name: 'target.cluster.bootstrap.servers', type: 'LIST', required: true, documentation: 'Brokers of the target cluster' },
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
