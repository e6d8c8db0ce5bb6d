/**
 * Producer-id blocks allocated through the metadata store (Kafka's controller handling
 * AllocateProducerIds: a ProducerIdsRecord moves `nextProducerId` one block up). A block starts at
 * the image's nextProducerId, or higher when the caller or the upgrade floor asks; a commit that
 * loses a race with another broker (MetadataDeltaError) is retried on the newer image.
 *
 * Upgrade: Samsa versions before producer-id blocks were in the metadata kept the end of their last
 * block in `producer-id-block` in the first log dir, and their metadata file has no
 * nextProducerId. upgradeFloor() seeds the first block above every id such a broker may have
 * issued: that file's value, and every producer id in the partitions' producer state (ids in
 * `__transaction_state` are added by the transaction coordinator as it loads, through
 * ProducerIdManager.ensureAbove). The file is left in place (never written again).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetadataDeltaError } from '../metadata/delta.js';
import type { MetadataStore } from '../metadata/store.js';
import { PRODUCER_ID_BLOCK_SIZE, type ProducerIdBlockSource, type ProducerIdRange } from '../txn/producer-id-manager.js';
import type { Partition } from './partition.js';

/** The file where Samsa kept its producer-id block before the metadata did. */
export const LEGACY_PRODUCER_ID_FILE = 'producer-id-block';

/** Commits to give up after when other writers keep winning the race. */
const MAX_ATTEMPTS = 10;

export function producerIdBlocks(store: MetadataStore, brokerId: number, upgradeFloor: bigint): ProducerIdBlockSource {
  return {
    async allocate(floor: bigint): Promise<ProducerIdRange> {
      for (let attempt = 1; ; attempt++) {
        let first = store.image().nextProducerId;
        if (first < floor) first = floor;
        if (first < upgradeFloor) first = upgradeFloor;
        try {
          await store.commit({ producerIdBlock: { brokerId, firstProducerId: first, size: PRODUCER_ID_BLOCK_SIZE } });
          return { firstProducerId: first, size: PRODUCER_ID_BLOCK_SIZE };
        } catch (e) {
          if (!(e instanceof MetadataDeltaError) || attempt >= MAX_ATTEMPTS) throw e;
        }
      }
    },
  };
}

/** The lowest id a broker upgraded from the file-based allocator may hand out (see the header). */
export function upgradeFloor(logDir: string, partitions: Iterable<Partition>): bigint {
  let floor = 0n;
  const path = join(logDir, LEGACY_PRODUCER_ID_FILE);
  if (existsSync(path)) {
    const m = /^next\.producer\.id=(\d{1,19})$/m.exec(readFileSync(path, 'utf8'));
    if (m) floor = BigInt(m[1] as string);
  }
  for (const p of partitions) {
    for (const e of p.producers.activeProducers()) if (e.producerId >= floor) floor = e.producerId + 1n;
  }
  return floor;
}
