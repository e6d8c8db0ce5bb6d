/**
 * A failed log dir on this broker (Kafka's ReplicaManager.handleLogDirFailure): the partitions
 * whose logs were in it go offline (neither lead nor follow; KAFKA_STORAGE_ERROR), and the
 * broker's registration carries the failed dirs and those replicas (Kafka sends offline log dirs
 * in the broker registration / heartbeat), so the controller moves their leadership elsewhere and
 * takes them out of the ISRs (cluster/partition-elections.ts `aliveFor`). The storage side (which
 * errors fail a dir, closing its logs) is storage/log-dir-failures.ts.
 */
import { resolve } from 'node:path';
import type { BrokerImage, OfflineReplica } from '../metadata/image.js';
import type { PartitionRoles } from './partition-roles.js';
import type { ReplicaManager } from './replica-manager.js';

/** Takes the hosted partitions whose log is in `dir` offline; returns how many. */
export function takePartitionsOffline(dir: string, replicas: Pick<ReplicaManager, 'all'>, roles: Pick<PartitionRoles, 'takeOffline'>): number {
  let count = 0;
  for (const p of replicas.all()) {
    if (p.offline || !sameDir(p.log.parentDir, dir)) continue;
    roles.takeOffline(p);
    count++;
  }
  return count;
}

/** `base` with the failed dirs and the offline replicas hosted here (unchanged when none failed). */
export function withOfflineDirs(base: BrokerImage, offlineDirs: readonly string[], replicas: Pick<ReplicaManager, 'all'>): BrokerImage {
  if (offlineDirs.length === 0) return base;
  const offlineReplicas: OfflineReplica[] = [];
  for (const p of replicas.all()) if (p.offline) offlineReplicas.push({ topicId: p.topicId, partition: p.index });
  return { ...base, offlineLogDirs: [...offlineDirs], offlineReplicas };
}

function sameDir(a: string, b: string): boolean {
  return a === b || resolve(a) === resolve(b);
}
