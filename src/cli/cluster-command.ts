/**
 * `samsa cluster` — the cluster id, the controller, the brokers (live, and down ones still named
 * as replicas), under-replicated and offline partitions, and the feature versions, as
 * kafka-cluster.sh cluster-id, kafka-broker-api-versions.sh, kafka-topics.sh --describe
 * --under-replicated-partitions / --unavailable-partitions and kafka-features.sh describe show
 * them. DescribeCluster v1 gives the live brokers and the controller; Metadata v12 (every topic,
 * internal ones included) gives each partition's leader, replicas and ISR; ApiVersions v3 gives
 * the supported and finalized feature levels (Samsa may finalize none).
 * Kafka's rules for brokers down and partitions under-replicated or offline: client/cluster-status.ts.
 */
import { ApiKey, fetchMetadata } from '../client/admin.js';
import { brokerRows, describeCluster, isOffline, isUnderReplicated, partitionRows, type PartitionRow } from '../client/cluster-status.js';
import type { ApiVersionsResponse } from '../protocol/generated/messages/api-versions.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { formatTable, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa cluster [options]

Shows the cluster id, the controller, the brokers (alive or down), under-replicated partitions
(ISR smaller than the replicas), offline partitions (no live leader) and the feature versions.

Options:
${formatOptions(options)}
`;

function partitionTable(title: string, rows: readonly PartitionRow[]): string {
  if (rows.length === 0) return `${title}: none\n`;
  const ids = (l: readonly number[]): string => (l.length === 0 ? '-' : l.join(','));
  return `${title}: ${rows.length}\n` + formatTable(['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFLINE'], rows.map((p) => [p.topic, p.partition, p.leader, ids(p.replicas), ids(p.isr), ids(p.offlineReplicas)]));
}

export function runCluster(args: string[]): Promise<number> {
  return runConnected('samsa cluster', args, options, usage, async (a, conn) => {
    const dc = await describeCluster(conn);
    const md = await fetchMetadata(conn, null);
    const av = await conn.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-cli', clientSoftwareVersion: '0' });
    const finalized = new Map(av.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
    const out = {
      clusterId: dc.clusterId,
      controllerId: dc.controllerId,
      brokers: brokerRows(dc, md),
      underReplicatedPartitions: partitionRows(md, isUnderReplicated),
      offlinePartitions: partitionRows(md, isOffline),
      features: av.supportedFeatures.map((f) => ({ name: f.name, supportedMinVersion: f.minVersion, supportedMaxVersion: f.maxVersion, finalizedVersionLevel: finalized.get(f.name) ?? null })),
      finalizedFeaturesEpoch: av.finalizedFeaturesEpoch,
    };
    if (a.has('json')) {
      await writeOut(toJson(out, 2) + '\n');
      return 0;
    }
    let text = `Cluster ID: ${out.clusterId}\nController: ${out.controllerId}\n\n`;
    text += formatTable(['BROKER', 'HOST', 'PORT', 'RACK', 'CONTROLLER', 'STATUS'], out.brokers.map((b) => [b.id, b.host ?? '-', b.port ?? '-', b.rack ?? '-', b.controller ? 'yes' : 'no', b.alive ? 'alive' : 'down']));
    text += '\n' + partitionTable('Under-replicated partitions', out.underReplicatedPartitions);
    text += '\n' + partitionTable('Offline partitions', out.offlinePartitions);
    text += '\n';
    text += out.features.length === 0 ? 'Features: (none)\n' : formatTable(['FEATURE', 'SUPPORTED-MIN', 'SUPPORTED-MAX', 'FINALIZED-LEVEL'], out.features.map((f) => [f.name, f.supportedMinVersion, f.supportedMaxVersion, f.finalizedVersionLevel]));
    await writeOut(text);
    return 0;
  });
}
