/**
 * The cleaner's key → latest offset map (Kafka's SkimpyOffsetMap): keys are reduced to a 128-bit
 * hash (MurmurHash3 x86_128), stored with their offset in flat typed arrays with linear probing.
 * 24 bytes per slot; the table starts small and doubles up to `maxBytes`
 * (log.cleaner.dedupe.buffer.size). Once full, the caller stops mapping and cleans in passes.
 * As in Kafka, two keys with the same 128-bit hash are treated as the same key.
 */

const SLOT_BYTES = 24;
const LOAD_FACTOR = 0.75;
const MIN_SLOTS = 1 << 12;

const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function word(b: Buffer, p: number): number {
  return (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24);
}

/** MurmurHash3 x86_128 of buf[start, end) into out[0..3] (seed 0). */
export function murmur3x86_128(buf: Buffer, start: number, end: number, out: Int32Array): void {
  const len = end - start;
  const blocks = len >>> 4;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  let k1: number;
  let k2: number;
  let k3: number;
  let k4: number;
  for (let i = 0; i < blocks; i++) {
    const p = start + i * 16;
    k1 = word(buf, p);
    k2 = word(buf, p + 4);
    k3 = word(buf, p + 8);
    k4 = word(buf, p + 12);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  }
  const t = start + blocks * 16;
  const rem = len & 15;
  k1 = 0;
  k2 = 0;
  k3 = 0;
  k4 = 0;
  const at = (i: number): number => buf[t + i] as number;
  if (rem > 12) {
    if (rem >= 15) k4 ^= at(14) << 16;
    if (rem >= 14) k4 ^= at(13) << 8;
    k4 ^= at(12);
    h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  }
  if (rem > 8) {
    if (rem >= 12) k3 ^= at(11) << 24;
    if (rem >= 11) k3 ^= at(10) << 16;
    if (rem >= 10) k3 ^= at(9) << 8;
    k3 ^= at(8);
    h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  }
  if (rem > 4) {
    if (rem >= 8) k2 ^= at(7) << 24;
    if (rem >= 7) k2 ^= at(6) << 16;
    if (rem >= 6) k2 ^= at(5) << 8;
    k2 ^= at(4);
    h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  }
  if (rem > 0) {
    if (rem >= 4) k1 ^= at(3) << 24;
    if (rem >= 3) k1 ^= at(2) << 16;
    if (rem >= 2) k1 ^= at(1) << 8;
    k1 ^= at(0);
    h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  }
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}

const scratch = new Int32Array(4);

export class OffsetMap {
  /** Largest number of slots allowed by the memory bound (a power of two). */
  private readonly maxSlots: number;
  private slots: number;
  private hashes: Int32Array;
  /** -1 marks an empty slot. */
  private offsets: Float64Array;
  private used = 0;
  /** Largest offset put since the last clear(), -1 if none. */
  latestOffset = -1;

  constructor(maxBytes: number) {
    let max = MIN_SLOTS;
    while (max * 2 * SLOT_BYTES <= maxBytes) max *= 2;
    this.maxSlots = max;
    this.slots = Math.min(MIN_SLOTS, max);
    this.hashes = new Int32Array(this.slots * 4);
    this.offsets = new Float64Array(this.slots).fill(-1);
  }

  /** Entries the map can hold at its largest size. */
  get capacity(): number {
    return Math.floor(this.maxSlots * LOAD_FACTOR);
  }

  get size(): number {
    return this.used;
  }

  /** How many more distinct keys fit. */
  get remaining(): number {
    return this.capacity - this.used;
  }

  /** Bytes currently allocated. */
  get memoryBytes(): number {
    return this.slots * SLOT_BYTES;
  }

  clear(): void {
    this.offsets.fill(-1);
    this.used = 0;
    this.latestOffset = -1;
  }

  /** Records `offset` as the latest for the key in buf[start, end). Returns false when the map is full. */
  put(buf: Buffer, start: number, end: number, offset: number): boolean {
    murmur3x86_128(buf, start, end, scratch);
    let slot = this.find(scratch);
    if ((this.offsets[slot] as number) < 0) {
      if (this.used >= this.capacity) return false;
      if (this.used + 1 > this.slots * LOAD_FACTOR) {
        this.grow();
        slot = this.find(scratch);
      }
      const h = slot * 4;
      this.hashes[h] = scratch[0] as number;
      this.hashes[h + 1] = scratch[1] as number;
      this.hashes[h + 2] = scratch[2] as number;
      this.hashes[h + 3] = scratch[3] as number;
      this.used++;
    }
    this.offsets[slot] = offset;
    if (offset > this.latestOffset) this.latestOffset = offset;
    return true;
  }

  /** Latest offset recorded for the key in buf[start, end), or -1. */
  get(buf: Buffer, start: number, end: number): number {
    murmur3x86_128(buf, start, end, scratch);
    return this.offsets[this.find(scratch)] as number;
  }

  /** The slot holding `hash`, or the empty slot where it would go. */
  private find(hash: Int32Array): number {
    const mask = this.slots - 1;
    const a = hash[0] as number;
    const b = hash[1] as number;
    const c = hash[2] as number;
    const d = hash[3] as number;
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      if ((this.offsets[slot] as number) < 0) return slot;
      const h = slot * 4;
      if (this.hashes[h] === a && this.hashes[h + 1] === b && this.hashes[h + 2] === c && this.hashes[h + 3] === d) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    if (this.slots >= this.maxSlots) return;
    const oldHashes = this.hashes;
    const oldOffsets = this.offsets;
    const oldSlots = this.slots;
    this.slots *= 2;
    this.hashes = new Int32Array(this.slots * 4);
    this.offsets = new Float64Array(this.slots).fill(-1);
    const h = new Int32Array(4);
    for (let i = 0; i < oldSlots; i++) {
      const off = oldOffsets[i] as number;
      if (off < 0) continue;
      h[0] = oldHashes[i * 4] as number;
      h[1] = oldHashes[i * 4 + 1] as number;
      h[2] = oldHashes[i * 4 + 2] as number;
      h[3] = oldHashes[i * 4 + 3] as number;
      const s = this.find(h);
      this.hashes.set(h, s * 4);
      this.offsets[s] = off;
    }
  }
}
