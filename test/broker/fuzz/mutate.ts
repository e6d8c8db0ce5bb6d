/**
 * Frame mutations for the broker fuzz test. Frames carry their 4-byte size prefix; most mutations
 * keep the prefix consistent with the new length (so the broker parses the mutated request), some
 * corrupt the prefix itself (so the broker's framing is exercised). Compressed Produce batches get
 * their payload corrupted and their CRC recomputed, so the bytes reach decompression.
 */
import { crc32c } from '../../../src/protocol/records/crc32c.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, CompressionType, RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/record.js';
import type { Rand } from '../../helpers/mulberry32.js';
import { WireClient } from '../../helpers/wire.js';

export { mulberry32, type Rand } from '../../helpers/mulberry32.js';

const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[int(rand, xs.length)] as T;

/** Interesting values written over fields, by width. */
const INTERESTING: Record<1 | 2 | 4 | 8, readonly Buffer[]> = {
  1: [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe].map((b) => Buffer.from([b])),
  2: ['0000', 'ffff', '7fff', '8000', '0001', '7ffe', 'fffe'].map((h) => Buffer.from(h, 'hex')),
  4: ['00000000', 'ffffffff', '7fffffff', '80000000', '00000001', '7ffffffe', '00010000', '3fffffff'].map((h) => Buffer.from(h, 'hex')),
  8: ['0000000000000000', 'ffffffffffffffff', '7fffffffffffffff', '8000000000000000', '0000000100000000'].map((h) => Buffer.from(h, 'hex')),
};
/** Absurd unsigned varints (compact array/string lengths) and plain ones. */
const VARINTS = ['ffffffff0f', 'feffffff07', '8080808008', 'ff7f', '00', '01'].map((h) => Buffer.from(h, 'hex'));

/** Sets the size prefix to the frame's real length. */
export function sized(body: Buffer): Buffer {
  const f = Buffer.allocUnsafe(body.length + 4);
  f.writeInt32BE(body.length, 0);
  body.copy(f, 4);
  return f;
}

const body = (f: Buffer): Buffer => f.subarray(4);

export interface MutatorOptions {
  apis: readonly { apiKey: number; maxVersion: number }[];
  /** Topics and partitions compressed Produce batches are sent to. */
  produceTargets: readonly { topic: string; partitions: number }[];
}

export const MUTATIONS = [
  'bitflip', 'interesting', 'length-shift', 'truncate', 'splice', 'duplicate', 'header', 'absurd-count',
  'size-prefix', 'compressed-corrupt', 'insert-random', 'stack',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export class FrameMutator {
  constructor(private readonly rand: Rand, private readonly corpus: readonly Buffer[], private readonly opts: MutatorOptions) {}

  /** A mutated frame and the name of the mutation applied. */
  next(): { frame: Buffer; mutation: Mutation } {
    const rand = this.rand;
    const mutation = pick(rand, MUTATIONS);
    const src = pick(rand, this.corpus);
    return { frame: this.apply(mutation, src), mutation };
  }

  apply(mutation: Mutation, src: Buffer): Buffer {
    const rand = this.rand;
    const b = Buffer.from(body(src));
    // Positions past the 8 fixed header bytes hit the client id and the request body.
    const pos = (): number => (b.length <= 8 ? int(rand, Math.max(1, b.length)) : 8 + int(rand, b.length - 8));
    switch (mutation) {
      case 'bitflip': {
        const n = 1 + int(rand, 8);
        for (let i = 0; i < n && b.length > 0; i++) {
          const at = pos();
          b[at] = (b[at] as number) ^ (1 << int(rand, 8));
        }
        return sized(b);
      }
      case 'interesting': {
        const width = pick(rand, [1, 2, 4, 8] as const);
        const v = pick(rand, INTERESTING[width]);
        const at = pos();
        v.copy(b, at, 0, Math.min(width, b.length - at));
        return sized(b);
      }
      case 'length-shift': {
        // Treat 2 or 4 bytes as a length and inflate/deflate it.
        const at = pos();
        if (rand() < 0.5 && at + 2 <= b.length) {
          b.writeInt16BE(clamp(b.readInt16BE(at) + pick(rand, [-2, -1, 1, 2, 100, -100, 0x4000]), -32768, 32767), at);
        } else if (at + 4 <= b.length) {
          b.writeInt32BE(clamp(b.readInt32BE(at) + pick(rand, [-4, -1, 1, 4, 1000, -1000, 1 << 24]), -(2 ** 31), 2 ** 31 - 1), at);
        }
        return sized(b);
      }
      case 'truncate':
        return sized(b.subarray(0, int(rand, b.length)));
      case 'splice': {
        const other = body(pick(rand, this.corpus));
        return sized(Buffer.concat([b.subarray(0, int(rand, b.length + 1)), other.subarray(int(rand, other.length + 1))]));
      }
      case 'duplicate': {
        const from = pos();
        const len = 1 + int(rand, Math.min(64, Math.max(1, b.length - from)));
        const region = b.subarray(from, from + len);
        const to = pos();
        const times = 1 + int(rand, 4);
        return sized(Buffer.concat([b.subarray(0, to), ...Array.from({ length: times }, () => region), b.subarray(to)]));
      }
      case 'header': {
        if (b.length < 4) return sized(b);
        const api = pick(rand, this.opts.apis);
        if (rand() < 0.8) b.writeInt16BE(rand() < 0.9 ? api.apiKey : int(rand, 100) - 2, 0);
        b.writeInt16BE(int(rand, api.maxVersion + 4) - 1, 2);
        return sized(b);
      }
      case 'absurd-count': {
        const at = pos();
        const v = rand() < 0.5 ? pick(rand, INTERESTING[4]) : rand() < 0.5 ? pick(rand, INTERESTING[2]) : pick(rand, VARINTS);
        if (rand() < 0.5) v.copy(b, at, 0, Math.min(v.length, b.length - at));
        else return sized(Buffer.concat([b.subarray(0, at), v, b.subarray(at)]));
        return sized(b);
      }
      case 'size-prefix': {
        // The broker's framing: a prefix that lies about the length (bigger, smaller, negative, huge).
        const f = sized(b);
        const real = b.length;
        f.writeInt32BE(pick(rand, [real + 1, real + 100, Math.max(0, real - 1), Math.max(0, real - 8), 0, 1, 7, -1, 0x7fffffff, 1 << 23]), 0);
        return f;
      }
      case 'compressed-corrupt':
        return this.corruptCompressedProduce();
      case 'insert-random': {
        const at = pos();
        const ins = Buffer.alloc(1 + int(rand, 16));
        for (let i = 0; i < ins.length; i++) ins[i] = int(rand, 256);
        return sized(Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]));
      }
      case 'stack': {
        let f = sized(b);
        const n = 2 + int(rand, 3);
        for (let i = 0; i < n; i++) f = this.apply(pick(rand, ['bitflip', 'interesting', 'length-shift', 'duplicate', 'absurd-count', 'insert-random'] as const), f);
        return f;
      }
    }
  }

  /** A Produce with a compressed batch whose payload is corrupted and whose CRC is made valid again. */
  private corruptCompressedProduce(): Buffer {
    const rand = this.rand;
    const codec = pick(rand, [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]);
    const bomb = rand() < 0.05;
    const records = bomb
      ? [{ key: null, value: Buffer.alloc(4 << 20) }] // 4 MiB of zeros: a small compressed payload that inflates
      : Array.from({ length: 1 + int(rand, 20) }, (_, i) => ({ key: `k${i}`, value: `v${i}-${'z'.repeat(int(rand, 200))}`, headers: [{ key: 'h', value: 'x' }] }));
    const batch = encodeRecordBatch({ records, compression: codec });
    const payload = batch.length - RECORD_BATCH_OVERHEAD;
    if (!bomb || rand() < 0.5) {
      const n = 1 + int(rand, 6);
      for (let i = 0; i < n && payload > 0; i++) {
        const at = RECORD_BATCH_OVERHEAD + int(rand, payload);
        batch[at] = rand() < 0.5 ? int(rand, 256) : (batch[at] as number) ^ (1 << int(rand, 8));
      }
    }
    if (rand() < 0.2) batch.writeInt32BE(pick(rand, [0, -1, 0x7fffffff, 100000]), RECORD_BATCH_OVERHEAD - 4); // records count
    batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    const target = pick(rand, this.opts.produceTargets);
    return WireClient.encodeRequest(0, pick(rand, [3, 7, 9, 11]), {
      transactionalId: null,
      acks: pick(rand, [-1, 1, 0]),
      timeoutMs: 5000,
      topicData: [{ name: target.topic, partitionData: [{ index: int(rand, target.partitions), records: batch }] }],
    }, 1 + int(rand, 1 << 30));
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
