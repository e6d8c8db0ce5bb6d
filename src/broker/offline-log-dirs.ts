/**
 * A failed log dir on this broker (Kafka's ReplicaManager.handleLogDirFailure): the partitions
 * whose logs were in it go offline (neither lead nor follow; KAFKA_STORAGE_ERROR), and the
 * broker's registration carries the failed dirs and those replicas (Kafka sends offline log dirs
 * in the broker registration / heartbeat), so the controller moves their leadership elsewhere and
 * takes them out of the ISRs (cluster/partition-elections.ts `aliveFor`). The storage side (which
 * errors fail a dir, closing its logs) is storage/log-dir-failures.ts.
 * At start-up a dir whose disk fails (creating, locking or reading it) starts offline, and the
 * partitions of the metadata this broker hosts but finds in no online dir are offline replicas:
 * their logs are not made again elsewhere while a dir is offline (Kafka's getOrCreateLog refuses
 * to create a log that is not new while log dirs are offline: it may be on the failed disk).
 */
import { resolve } from 'node:path';
import { isLogDirFailure } from '../storage/storage-error-log.js';
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
export function withOfflineDirs(base: BrokerImage, offlineDirs: readonly string[], replicas: Pick<ReplicaManager, 'all' | 'offlineReplicas'>): BrokerImage {
  if (offlineDirs.length === 0) return base;
  const offlineReplicas: OfflineReplica[] = [...replicas.offlineReplicas()];
  for (const p of replicas.all()) if (p.offline) offlineReplicas.push({ topicId: p.topicId, partition: p.index });
  return { ...base, offlineLogDirs: [...offlineDirs], offlineReplicas };
}

function sameDir(a: string, b: string): boolean {
  return a === b || resolve(a) === resolve(b);
}

/**
 * Start-up: runs `step` on every dir not yet failed; a dir whose step hits a disk failure is
 * recorded in `failed` (other errors are thrown).
 */
export function eachUsableDir(dirs: readonly string[], failed: Map<string, unknown>, step: (dir: string) => void): void {
  for (const d of dirs) {
    if (failed.has(d)) continue;
    try {
      step(d);
    } catch (e) {
      if (!isLogDirFailure(e)) throw e;
      failed.set(d, e);
    }
  }
}
