/**
 * MirrorMaker 2's record formats, byte for byte as Kafka writes them (Kafka's protocol `Struct`
 * encoding: STRING = int16 length + UTF-8, INT16/INT32/INT64 big-endian):
 * - OffsetSync (`mm2-offset-syncs.<target>.internal`): key {topic STRING, partition INT32},
 *   value {upstreamOffset INT64, offset INT64}, no version header;
 * - Checkpoint (`<source>.checkpoints.internal`): key {group STRING, topic STRING, partition
 *   INT32}, value {version INT16 = 0}{upstreamOffset INT64, offset INT64, metadata STRING};
 * - Heartbeat (`heartbeats`): key {sourceClusterAlias STRING, targetClusterAlias STRING}, value
 *   {version INT16 = 0}{timestamp INT64}.
 * So Kafka's RemoteClusterUtils and MirrorClient read Samsa's internal topics and the other way
 * round. Decoding is bounds-checked (the records come from a topic anyone may write to): a short
 * or unknown-version record is a MirrorFormatError, which readers skip.
 */

export class MirrorFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MirrorFormatError';
  }
}

export interface OffsetSync {
  topic: string;
  partition: number;
  upstreamOffset: bigint;
  downstreamOffset: bigint;
}

export interface Checkpoint {
  group: string;
  topic: string;
  partition: number;
  upstreamOffset: bigint;
  downstreamOffset: bigint;
  metadata: string;
}

export interface Heartbeat {
  sourceClusterAlias: string;
  targetClusterAlias: string;
  timestamp: bigint;
}

class Out {
  private readonly parts: Buffer[] = [];
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 0x7fff) throw new MirrorFormatError(`string of ${b.length} bytes is longer than a STRING may be`);
    const len = Buffer.alloc(2);
    len.writeInt16BE(b.length);
    this.parts.push(len, b);
    return this;
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class In {
  private pos = 0;
  constructor(
    private readonly b: Buffer,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new MirrorFormatError(`${this.what}: ${this.b.length} bytes is too short`);
  }
  str(): string {
    this.need(2);
    const len = this.b.readInt16BE(this.pos);
    this.pos += 2;
    if (len < 0) throw new MirrorFormatError(`${this.what}: null STRING`);
    this.need(len);
    const s = this.b.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  i16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.b.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  version(): void {
    const v = this.i16();
    if (v !== 0) throw new MirrorFormatError(`${this.what}: version ${v} (only 0 is known)`);
  }
}

const present = (b: Buffer | null, what: string): Buffer => {
  if (b === null) throw new MirrorFormatError(`${what}: null`);
  return b;
};

export const encodeOffsetSync = (s: OffsetSync): { key: Buffer; value: Buffer } => ({
  key: new Out().str(s.topic).i32(s.partition).done(),
  value: new Out().i64(s.upstreamOffset).i64(s.downstreamOffset).done(),
});

export function decodeOffsetSync(key: Buffer | null, value: Buffer | null): OffsetSync {
  const k = new In(present(key, 'offset sync key'), 'offset sync key');
  const v = new In(present(value, 'offset sync value'), 'offset sync value');
  return { topic: k.str(), partition: k.i32(), upstreamOffset: v.i64(), downstreamOffset: v.i64() };
}

export const encodeCheckpoint = (c: Checkpoint): { key: Buffer; value: Buffer } => ({
  key: new Out().str(c.group).str(c.topic).i32(c.partition).done(),
  value: new Out().i16(0).i64(c.upstreamOffset).i64(c.downstreamOffset).str(c.metadata).done(),
});

export function decodeCheckpoint(key: Buffer | null, value: Buffer | null): Checkpoint {
  const k = new In(present(key, 'checkpoint key'), 'checkpoint key');
  const v = new In(present(value, 'checkpoint value'), 'checkpoint value');
  const group = k.str();
  const topic = k.str();
  const partition = k.i32();
  v.version();
  return { group, topic, partition, upstreamOffset: v.i64(), downstreamOffset: v.i64(), metadata: v.str() };
}

export const encodeHeartbeat = (h: Heartbeat): { key: Buffer; value: Buffer } => ({
  key: new Out().str(h.sourceClusterAlias).str(h.targetClusterAlias).done(),
  value: new Out().i16(0).i64(h.timestamp).done(),
});

export function decodeHeartbeat(key: Buffer | null, value: Buffer | null): Heartbeat {
  const k = new In(present(key, 'heartbeat key'), 'heartbeat key');
  const v = new In(present(value, 'heartbeat value'), 'heartbeat value');
  const sourceClusterAlias = k.str();
  const targetClusterAlias = k.str();
  v.version();
  return { sourceClusterAlias, targetClusterAlias, timestamp: v.i64() };
}
