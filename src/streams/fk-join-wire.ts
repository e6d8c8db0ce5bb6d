/**
 * The records of a foreign-key join's internal topics (KIP-213): a subscription (left side to the
 * right side's partition of the foreign key) and a response (right side back to the left key's
 * partition), with the hash of the left value they were made for.
 *
 * Kafka's rules kept: the four subscription instructions (DELETE_KEY_AND_PROPAGATE,
 * DELETE_KEY_NO_PROPAGATE, PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE,
 * PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE); a response carries the hash of the left value it answers
 * (null for a deletion) so the left side can drop a stale one. Samsa's deviations: SHA-1 rather
 * than murmur3-128 for the hash, and Samsa's own byte layout (the topics are internal to the
 * application; Kafka's SubscriptionWrapper bytes are not read).
 */
import { createHash } from 'node:crypto';
import type { Serde } from './serdes.js';

export const Instruction = {
  DELETE_KEY_AND_PROPAGATE: 0,
  DELETE_KEY_NO_PROPAGATE: 1,
  PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE: 2,
  PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE: 3,
} as const;
export type InstructionCode = (typeof Instruction)[keyof typeof Instruction];

export interface Subscription {
  instruction: InstructionCode;
  hash: Buffer | null;
  /** The left (primary) key's bytes. */
  primaryKey: Buffer;
}

export interface Response<VO> {
  hash: Buffer | null;
  value: VO | null;
}

export const valueHash = (bytes: Buffer | null): Buffer | null => (bytes === null ? null : createHash('sha1').update(bytes).digest());

export const sameHash = (a: Buffer | null, b: Buffer | null): boolean => (a === null || b === null ? a === b : a.equals(b));

const NULL = null as unknown as never;

/** version:int8 instruction:int8 hashLength:int8 (-1: null) hash primaryKey... */
export const subscriptionSerde: Serde<Subscription> = {
  serialize: (s) => {
    if (s === null || s === undefined) return null;
    const h = Buffer.from([0, s.instruction, s.hash === null ? 0xff : s.hash.length]);
    return Buffer.concat([h, s.hash ?? Buffer.alloc(0), s.primaryKey]);
  },
  deserialize: (d) => {
    if (d === null) return NULL;
    if (d.length < 3) throw new RangeError('a subscription needs at least 3 bytes');
    const instruction = d[1] as InstructionCode;
    if (instruction > 3) throw new RangeError(`unknown subscription instruction ${instruction}`);
    const n = d.readInt8(2);
    if (n > 0 && 3 + n > d.length) throw new RangeError('truncated subscription hash');
    const hash = n < 0 ? null : d.subarray(3, 3 + n);
    return { instruction, hash, primaryKey: d.subarray(3 + Math.max(0, n)) };
  },
};

/** hashLength:int8 (-1: null) hash value... (absent when the value is null: one more byte 0 / 1 says which). */
export function responseSerde<VO>(value: Serde<VO>): Serde<Response<VO>> {
  return {
    serialize: (r) => {
      if (r === null || r === undefined) return null;
      const v = r.value === null || r.value === undefined ? null : value.serialize(r.value);
      return Buffer.concat([Buffer.from([r.hash === null ? 0xff : r.hash.length]), r.hash ?? Buffer.alloc(0), Buffer.from([v === null ? 0 : 1]), v ?? Buffer.alloc(0)]);
    },
    deserialize: (d) => {
      if (d === null) return NULL;
      if (d.length < 2) throw new RangeError('a response needs at least 2 bytes');
      const n = d.readInt8(0);
      const at = 1 + Math.max(0, n);
      if (at + 1 > d.length) throw new RangeError('truncated response');
      return { hash: n < 0 ? null : d.subarray(1, at), value: d[at] === 0 ? null : value.deserialize(d.subarray(at + 1)) };
    },
  };
}
