/**
 * MirrorHeartbeatConnector (org.apache.kafka.connect.mirror.MirrorHeartbeatConnector): writes a
 * Heartbeat {sourceClusterAlias, targetClusterAlias, timestamp} to `heartbeats` on the target
 * every `emit.heartbeats.interval.seconds` (default 1), a topic MirrorSource copies onwards, so
 * heartbeats show which clusters reach which and how late (Kafka's RemoteClusterUtils).
 *
 * Kafka's rules kept: one task whatever `tasks.max`; the topic is created compacted with one
 * partition and `heartbeats.topic.replication.factor` (default 3, at most the broker count);
 * `emit.heartbeats.enabled=false` writes none.
 */
import type { ConnectorPlugin, ConnectRecord, SourceTask, TaskConfig } from '../api.js';
import { ensureTopic } from '../topics.js';
import { encodeHeartbeat } from './formats.js';
import { HEARTBEATS_TOPIC } from './policy.js';
import { ALIAS_CONFIG, boolSetting, clusterClient, intSetting, mirrorSettings, secondsSetting, sleep, type MirrorSettings } from './settings.js';

class MirrorHeartbeatTask implements SourceTask {
  private s!: MirrorSettings;
  private intervalMs = 1000;
  private enabled = true;
  private next = 0;
  private config: TaskConfig = {};
  private topicReady = false;

  async start(config: TaskConfig): Promise<void> {
    this.config = config;
    this.s = mirrorSettings(config, false);
    this.intervalMs = Math.max(1, secondsSetting(config, 'emit.heartbeats.interval.seconds', 1));
    this.enabled = boolSetting(config, 'emit.heartbeats.enabled', true);
  }

  async poll(): Promise<ConnectRecord[]> {
    const wait = this.next - performance.now();
    if (!this.enabled || wait > 0) {
      await sleep(Math.min(500, Math.max(wait, 100)));
      return [];
    }
    if (!this.topicReady) {
      const target = clusterClient(this.s.targetBootstrap, `mm2-${this.s.source}->${this.s.target}-heartbeat`);
      try {
        await ensureTopic(target, HEARTBEATS_TOPIC, 1, intSetting(this.config, 'heartbeats.topic.replication.factor', 3), { 'cleanup.policy': 'compact' });
        this.topicReady = true;
      } catch {
        this.next = performance.now() + this.intervalMs; // the target is not reachable now: try again at the next beat
        return [];
      } finally {
        target.close();
      }
    }
    this.next = performance.now() + this.intervalMs;
    const now = Date.now();
    const { key, value } = encodeHeartbeat({ sourceClusterAlias: this.s.source, targetClusterAlias: this.s.target, timestamp: BigInt(now) });
    return [{ topic: HEARTBEATS_TOPIC, kafkaPartition: 0, keySchema: { type: 'bytes', optional: true }, key, valueSchema: { type: 'bytes', optional: true }, value, timestamp: now, headers: [], sourcePartition: { sourceClusterAlias: this.s.source, targetClusterAlias: this.s.target }, sourceOffset: { offset: 0 } }];
  }

  async stop(): Promise<void> {}
}

export const mirrorHeartbeatConnector: ConnectorPlugin = {
  className: 'org.apache.kafka.connect.mirror.MirrorHeartbeatConnector',
  aliases: ['MirrorHeartbeatConnector', 'MirrorHeartbeat'],
  type: 'source',
  version: '1.0.0',
  config: [
    ...ALIAS_CONFIG,
    { name: 'emit.heartbeats.interval.seconds', type: 'LONG', required: false, defaultValue: '1', documentation: 'How often to write a heartbeat' },
    { name: 'emit.heartbeats.enabled', type: 'BOOLEAN', required: false, defaultValue: 'true', documentation: 'Whether to write heartbeats' },
  ],
  taskConfigs: (config) => {
    mirrorSettings(config, false);
    return [{ ...config, 'task.index': '0', 'task.count': '1' }];
  },
  createSourceTask: () => new MirrorHeartbeatTask(),
};
