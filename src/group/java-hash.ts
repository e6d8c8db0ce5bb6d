/**
 * Kafka's placement of a group on a `__consumer_offsets` partition:
 * `Utils.abs(groupId.hashCode()) % numPartitions`, with Java's String.hashCode computed over
 * UTF-16 code units and Utils.abs mapping Integer.MIN_VALUE to 0.
 */

/** Java's `String.hashCode()`: s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's `Utils.abs`: `Math.abs`, except that Integer.MIN_VALUE (which has no positive twin) maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition that owns `groupId`. */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
