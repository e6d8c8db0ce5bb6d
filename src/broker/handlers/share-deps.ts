/** What the share group API handlers use (not a handler: no NN- prefix). */
import type { ShareGroups } from '../../group/share/share-groups.js';
import type { SharePartitionManager } from '../share/share-partition-manager.js';
import type { ShareStateStore } from '../share/share-state-store.js';

export interface ShareDeps {
  /** Share groups on the group coordinator (ShareGroupHeartbeat/Describe, ListGroups). */
  readonly shareGroups: ShareGroups;
  /** Share-partitions on the partition leaders (ShareFetch/ShareAcknowledge). */
  readonly sharePartitions: SharePartitionManager;
  /** The share coordinator of the `__share_group_state` partitions led here (Read/WriteShareGroupState). */
  readonly shareState: ShareStateStore;
  readonly nodeId: number;
}
