/**
 * GlobalKTable: a table read in full from all partitions of its topic by every instance, for
 * joins from any stream without co-partitioning (KStream.join/leftJoin(globalTable, keySelector,
 * joiner)).
 *
 * Kafka's rules kept: the store is filled from the source topic itself (no changelog topic), up
 * to the topic's end before processing starts, and kept up to date by reading the topic while
 * the application runs (global-state.ts); records with a null key are ignored and a null value
 * deletes; a stream record joins with the global value under keySelector(key, value); an inner
 * join drops records without a match (or a null value or null looked-up key), a left join calls
 * the joiner with null. Samsa's deviation: no global store checkpoint — at each start the store is
 * wiped and read again from the beginning of the topic.
 */
import type { Serde } from './serdes.js';

export class GlobalKTable<K, V> {
  /** @internal */
  constructor(
    readonly topic: string,
    readonly storeName: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
  ) {}
}
