/**
 * The state of a cluster as an operator reads it: its brokers (live, and down ones still named as
 * replicas) and its under-replicated and offline partitions, from DescribeCluster v1 and
 * Metadata. Shared by `samsa cluster` and the console's overview.
 *
 * Kafka's rules: a partition is under-replicated when its ISR is smaller than its replica list,
 * and offline (unavailable) when it has no live leader (leader -1). A broker is down when a
 * partition names it as a replica but it is not registered (Metadata's offline replicas); a
 * broker that hosts nothing and is not registered is not known to the cluster at all.
 */
import type { ApiVersionsResponse } from '../protocol/generated/messages/api-versions.js';
import type { DescribeClusterResponse } from '../protocol/generated/messages/describe-cluster.js';
import { AdminError, ApiKey, type ClusterMetadata } from './admin.js';
import type { KafkaConnection } from './connection.js';

export interface BrokerRow {
  id: number;
  host: string | null;
  port: number | null;
  rack: string | null;
  alive: boolean;
  controller: boolean;
}

export interface PartitionRow {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

/** DescribeCluster v1 (brokers endpoint type); an error code is an AdminError. */
export async function describeCluster(conn: KafkaConnection): Promise<DescribeClusterResponse> {
  const dc = await conn.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  if (dc.errorCode !== 0) throw new AdminError('DescribeCluster', dc.errorCode, dc.errorMessage);
  return dc;
}

/** Live brokers from DescribeCluster, plus the brokers partitions name as replicas that are not live. */
export function brokerRows(dc: DescribeClusterResponse, md: ClusterMetadata): BrokerRow[] {
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
export function partitionRows(md: ClusterMetadata, pick: (p: PartitionRow) => boolean): PartitionRow[] {
  const out: PartitionRow[] = [];
  for (const t of [...md.topics.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    for (const p of t.partitions) {
      const row = { topic: t.name, partition: p.partition, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr], offlineReplicas: [...p.offline] };
      if (pick(row)) out.push(row);
    }
  }
  return out;
}

export const isUnderReplicated = (p: PartitionRow): boolean => p.isr.length < p.replicas.length;
export const isOffline = (p: PartitionRow): boolean => p.leader < 0;

export interface FeatureRow {
  name: string;
  supportedMinVersion: number;
  supportedMaxVersion: number;
  finalizedVersionLevel: number | null;
}

/** The feature versions a broker supports and the cluster finalized (ApiVersions v3; kafka-features.sh describe). */
export async function describeFeatures(conn: KafkaConnection, clientSoftwareName: string): Promise<FeatureRow[]> {
  const av = await conn.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName, clientSoftwareVersion: '0' });
  if (av.errorCode !== 0) throw new AdminError('ApiVersions', av.errorCode);
  const finalized = new Map(av.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
  return av.supportedFeatures.map((f) => ({ name: f.name, supportedMinVersion: f.minVersion, supportedMaxVersion: f.maxVersion, finalizedVersionLevel: finalized.get(f.name) ?? null }));
}
