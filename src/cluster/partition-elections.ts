/**
 * The controller's choices of leader and ISR for one partition (Kafka's PartitionChangeBuilder /
 * the ZooKeeper-era PartitionLeaderElectionAlgorithms), as pure functions of the partition's
 * state and which brokers are alive.
 *
 * Kafka's rules:
 * - Offline / failed leader: the new leader is the first replica, in assignment order, that is
 *   alive and in the ISR. If there is none and unclean election is allowed
 *   (`unclean.leader.election.enable`), the first live replica, with an ISR of itself alone (data
 *   the old ISR had may be lost). Otherwise there is no leader (-1) and the partition is offline.
 * - A dead broker leaves the ISR, except the last member: the ISR keeps it so that, when it comes
 *   back, it (the only one known to hold every committed record) can lead again.
 * - Controlled shutdown: as a failed leader, but the broker shutting down is not eligible and
 *   leaves the ISR (unless it is the last member).
 * - Preferred leader: the first replica, if it is alive and in the ISR.
 * - A replica whose log dir failed on its broker (KIP-112: the broker reports it offline) counts
 *   as dead for that partition alone (`aliveFor`): it loses leadership and leaves the ISR.
 * - A new leader means leader epoch + 1; any change means partition epoch + 1 (the compare-and-swap
 *   version of the partition's state).
 */

import { replicaOffline, type MetadataImage } from '../metadata/image.js';

/**
 * The brokers alive for one partition: `alive` without those reporting their replica of it
 * offline (a failed log dir). `alive` itself when none does.
 */
export function aliveFor(image: Pick<MetadataImage, 'broker'>, alive: ReadonlySet<number>, topicId: string, partition: number, replicas: readonly number[]): ReadonlySet<number> {
  let out: Set<number> | null = null;
  for (const id of replicas) {
    const b = image.broker(id);
    if (b === undefined || !replicaOffline(b, topicId, partition)) continue;
    (out ??= new Set(alive)).delete(id);
  }
  return out ?? alive;
}

export interface PartitionState {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export const NO_LEADER = -1;

/** The state with `leader` and `isr`, epochs bumped as Kafka does; null when nothing changes. */
export function changed(s: PartitionState, leader: number, isr: readonly number[]): PartitionState | null {
  const sameIsr = isr.length === s.isr.length && isr.every((id, i) => s.isr[i] === id);
  if (leader === s.leader && sameIsr) return null;
  return { replicas: s.replicas, isr: [...isr], leader, leaderEpoch: leader === s.leader ? s.leaderEpoch : s.leaderEpoch + 1, partitionEpoch: s.partitionEpoch + 1 };
}

/**
 * The state after the brokers not in `alive` are gone (lease expired) and, where the leader is
 * gone or missing, a new leader is elected. Null when nothing changes.
 */
export function electAfterFailures(s: PartitionState, alive: ReadonlySet<number>, uncleanAllowed: boolean): PartitionState | null {
  let isr = s.isr.filter((id) => alive.has(id));
  if (isr.length === 0 && s.isr.length > 0) isr = [s.isr[s.isr.length - 1] as number];
  if (s.leader !== NO_LEADER && alive.has(s.leader) && isr.includes(s.leader)) return changed(s, s.leader, isr);
  const leader = s.replicas.find((id) => alive.has(id) && isr.includes(id));
  if (leader !== undefined) return changed(s, leader, isr);
  if (uncleanAllowed) {
    const any = s.replicas.find((id) => alive.has(id));
    if (any !== undefined) return changed(s, any, [any]);
  }
  return changed(s, NO_LEADER, isr);
}

/** Moves leadership off `shuttingDown` and takes it out of the ISR (unless it is the last member). */
export function electForShutdown(s: PartitionState, shuttingDown: number, alive: ReadonlySet<number>): PartitionState | null {
  const others = s.isr.filter((id) => id !== shuttingDown && alive.has(id));
  if (others.length === 0) return null; // nobody can take over: it stays (Kafka retries, then shuts down anyway)
  const isr = s.isr.filter((id) => id !== shuttingDown);
  if (s.leader !== shuttingDown && s.leader !== NO_LEADER) return changed(s, s.leader, isr);
  const leader = s.replicas.find((id) => others.includes(id)) as number;
  return changed(s, leader, isr);
}

/** Leadership back to the preferred (first) replica when it is alive and in the ISR. */
export function electPreferred(s: PartitionState, alive: ReadonlySet<number>): PartitionState | null {
  const preferred = s.replicas[0];
  if (preferred === undefined || preferred === s.leader || !alive.has(preferred) || !s.isr.includes(preferred)) return null;
  return changed(s, preferred, s.isr);
}

/** The initial state of a new partition: the first live replica leads, the live replicas are the ISR. */
export function initialState(replicas: readonly number[], alive: ReadonlySet<number>): PartitionState {
  const live = replicas.filter((id) => alive.has(id));
  return { replicas: [...replicas], isr: live.length > 0 ? live : [...replicas], leader: live[0] ?? NO_LEADER, leaderEpoch: 0, partitionEpoch: 0 };
}
