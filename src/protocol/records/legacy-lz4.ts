/**
 * LZ4 frames of old-format (magic 0) message sets. Kafka before 0.10 wrote the frame descriptor's
 * header checksum over the wrong bytes (the 4-byte frame magic included; KAFKA-3160), and Kafka
 * reads magic 0 LZ4 data ignoring that checksum, while magic 1 (and v2) frames must be correct.
 * Samsa's LZ4 decoder checks it, so a magic 0 frame gets its checksum recomputed over the right
 * bytes before decoding (on a copy of the header bytes only when they differ).
 */

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;
const LZ4_FRAME_MAGIC = 0x184d2204;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, P2)) >>> 0;
  return Math.imul(rotl(acc, 13), P1) >>> 0;
}

/** XXH32 of buf[start, end) with seed 0 (the LZ4 frame header checksum uses its second byte). */
export function xxh32(buf: Uint8Array, start = 0, end = buf.length): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = end - start;
  let p = start;
  let h: number;
  if (len >= 16) {
    let v1 = (P1 + P2) >>> 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = (0 - P1) >>> 0;
    while (p + 16 <= end) {
      v1 = round(v1, view.readUInt32LE(p));
      v2 = round(v2, view.readUInt32LE(p + 4));
      v3 = round(v3, view.readUInt32LE(p + 8));
      v4 = round(v4, view.readUInt32LE(p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = P5;
  }
  h = (h + len) >>> 0;
  while (p + 4 <= end) {
    h = (h + Math.imul(view.readUInt32LE(p), P3)) >>> 0;
    h = Math.imul(rotl(h, 17), P4) >>> 0;
    p += 4;
  }
  while (p < end) {
    h = (h + Math.imul(view[p] as number, P5)) >>> 0;
    h = Math.imul(rotl(h, 11), P1) >>> 0;
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, P3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Offset of the header checksum byte of the LZ4 frame starting at 0, or -1 when `data` does not start with a whole frame descriptor. */
function headerChecksumPos(data: Buffer): number {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_FRAME_MAGIC) return -1;
  const flg = data[4] as number;
  const pos = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
  return pos < data.length ? pos : -1;
}

/** The correct header checksum of the frame descriptor at 4..pos (the frame magic excluded). */
function correctChecksum(data: Buffer, pos: number): number {
  return (xxh32(data, 4, pos) >>> 8) & 0xff;
}

/**
 * A magic 0 LZ4 value with the header checksum of its (first) frame recomputed, as Kafka ignores
 * it there. Returns `data` itself when it is already right (or not a frame: the decoder reports it).
 */
export function fixLegacyLz4HeaderChecksum(data: Buffer): Buffer {
  const pos = headerChecksumPos(data);
  if (pos < 0) return data;
  const hc = correctChecksum(data, pos);
  if (data[pos] === hc) return data;
  const out = Buffer.from(data);
  out[pos] = hc;
  return out;
}

/** The frame with Kafka's pre-0.10 (KAFKA-3160) header checksum, computed over the frame magic too: for tests and old-format encoders. */
export function breakLz4HeaderChecksum(data: Buffer): Buffer {
  const pos = headerChecksumPos(data);
  if (pos < 0) return data;
  const out = Buffer.from(data);
  out[pos] = (xxh32(data, 0, pos) >>> 8) & 0xff;
  return out;
}
