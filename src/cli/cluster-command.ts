/**
 * `samsa cluster` — the cluster id, the controller, the brokers (live, and down ones still named
 * as replicas), under-replicated and offline partitions, and the feature versions, as
 * kafka-cluster.sh cluster-id, kafka-broker-api-versions.sh, kafka-topics.sh --describe
 * --under-replicated-partitions / --unavailable-partitions and kafka-features.sh describe show
 * them. DescribeCluster v1 gives the live brokers and the controller; Metadata v12 (every topic,
 * internal ones included) gives each partition's leader, replicas and ISR; ApiVersions v3 gives
 * the supported and finalized feature levels (Samsa may finalize none).
 * Kafka's rules: a partition is under-replicated when its ISR is smaller than its replica list,
 * and offline (unavailable) when it has no live leader (leader -1). A broker is down when a
 * partition names it as a replica but it is not registered (Metadata's offline replicas); a
 * broker that hosts nothing and is not registered is not known to the cluster at all.
 */
import { AdminError, ApiKey, fetchMetadata, type ClusterMetadata } from '../client/admin.js';
import type { ApiVersionsResponse } from '../protocol/generated/messages/api-versions.js';
import type { DescribeClusterResponse } from '../protocol/generated/messages/describe-cluster.js';
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

interface BrokerRow {
  id: number;
  host: string | null;
  port: number | null;
  rack: string | null;
  alive: boolean;
  controller: boolean;
}

interface PartitionRow {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

/** Live brokers from DescribeCluster, plus the brokers partitions name as replicas that are not live. */
function brokerRows(dc: DescribeClusterResponse, md: ClusterMetadata): BrokerRow[] {
  const rows = new Map<number, BrokerRow>();
  for (const b of dc.brokers) rows.set(b.brokerId, { id: b.brokerId, host: b.host, port: b.port, rack: b.rack, alive: true, controller: b.brokerId === dc.controllerId });
  for (const t of md.topics.values()) {
    for (const p of t.partitions) {
      for (const id of p.replicas) {
        if (!rows.has(id)) rows.set(id, { id, host: null, port: null, rack: null, alive: false, controller: false });
      }
    }
  }
  return [...rows.values()].sort((x, y) => x.id - y.id);
}

/** Partitions of `md` matching `pick`, in topic then partition order. */
function partitionRows(md: ClusterMetadata, pick: (p: PartitionRow) => boolean): PartitionRow[] {
  const out: PartitionRow[] = [];
  for (const t of [...md.topics.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    for (const p of t.partitions) {
      const row = { topic: t.name, partition: p.partition, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr], offlineReplicas: [...p.offline] };
      if (pick(row)) out.push(row);
    }
  }
  return out;
}

function partitionTable(title: string, rows: readonly PartitionRow[]): string {
  if (rows.length === 0) return `${title}: none\n`;
  const ids = (l: readonly number[]): string => (l.length === 0 ? '-' : l.join(','));
  return `${title}: ${rows.length}\n` + formatTable(['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFLINE'], rows.map((p) => [p.topic, p.partition, p.leader, ids(p.replicas), ids(p.isr), ids(p.offlineReplicas)]));
}

export function runCluster(args: string[]): Promise<number> {
  return runConnected('samsa cluster', args, options, usage, async (a, conn) => {
    const dc = await conn.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    if (dc.errorCode !== 0) throw new AdminError('DescribeCluster', dc.errorCode, dc.errorMessage);
    const md = await fetchMetadata(conn, null);
    const av = await conn.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-cli', clientSoftwareVersion: '0' });
    const finalized = new Map(av.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
    const out = {
      clusterId: dc.clusterId,
      controllerId: dc.controllerId,
      brokers: brokerRows(dc, md),
      underReplicatedPartitions: partitionRows(md, (p) => p.isr.length < p.replicas.length),
      offlinePartitions: partitionRows(md, (p) => p.leader < 0),
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
