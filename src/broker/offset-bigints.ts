/**
 * Offsets as BigInts for answers (Fetch), from a small direct-mapped cache: BigInt(n) allocates
 * on every call, and a consumer's fetches answer the same high watermark, last stable offset and
 * log start offset of its quiet partitions again and again (three per partition per Fetch).
 * Kafka has no counterpart (its offsets are JVM longs); nothing here changes a value, only how
 * often one is allocated.
 */
const SLOTS = 1024;
const keys = new Float64Array(SLOTS).fill(-1);
const values: bigint[] = new Array<bigint>(SLOTS).fill(-1n);

/** BigInt(n) for an integer offset, shared with the previous call for the same n when cached. */
export function bigOffset(n: number): bigint {
  const i = n & (SLOTS - 1);
  if (keys[i] === n) return values[i] as bigint;
  const b = BigInt(n);
  keys[i] = n;
  values[i] = b;
  return b;
}
