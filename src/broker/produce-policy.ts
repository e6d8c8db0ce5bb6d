/**
 * Record contents and topic policy of produced batches, called once per partition by Produce after
 * the header/CRC validation of validate.ts. For every batch:
 * - the records are scanned (record-scan.ts: lengths, varints, offset deltas, header keys, count);
 *   compressed batches are decompressed as a stream through the scanner, never whole, and may
 *   inflate to at most {@link maxDecompressedBytes} of the topic's max.message.bytes
 *   (MESSAGE_TOO_LARGE beyond, as soon as the stream passes it);
 * - cleanup.policy includes compact: every record needs a key (Kafka's LogValidator rejects the
 *   batch with INVALID_RECORD);
 * - message.timestamp.before.max.ms / after.max.ms (CreateTime topics, when set): every record's
 *   timestamp (other than -1, "none") must lie within [now - before, now + after], else
 *   INVALID_TIMESTAMP (KIP-937);
 * - both are per-record checks: the scan collects the failing records' indexes and the batch is
 *   rejected with Kafka's record_errors and error_message (record-errors.ts);
 * - compression.type other than `producer`: batches with another codec are recompressed with the
 *   topic's codec (and its compression.<codec>.level); `uncompressed` stores them uncompressed.
 *   Header fields (producer id/epoch/sequence, transactional flag, timestamps) are kept. A result
 *   over max.message.bytes is MESSAGE_TOO_LARGE, as in Kafka.
 * The scan gives the null-key count and the timestamp range, so the policy needs no second pass.
 *
 * Small batches (the common case) are handled synchronously. A batch whose compressed records
 * exceed {@link SYNC_MAX_COMPRESSED_BYTES}, that inflates past {@link SYNC_MAX_DECOMPRESSED_BYTES},
 * or whose recompression is expensive goes to the worker pool (scan-pool.ts) and the result is a
 * promise; the Produce handler keeps appends in request order per connection.
 */
import { KafkaError } from '../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CODEC_BY_TOPIC_COMPRESSION,
  COMPRESSION_CODEC_MASK,
  CompressionType,
  LOG_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../protocol/records/batch-header.js';
import { DecompressBudgetExceeded, DEFAULT_MAX_DECOMPRESSED_BYTES, decompressInto, type DecompressSink } from '../protocol/records/compression.js';
import { rewriteBatchCrc } from '../protocol/records/record.js';
import { batchRecordErrors } from '../protocol/records/record-errors.js';
import { RecordScanner, scanRecords, type RecordScanStats } from '../protocol/records/record-scan.js';
import { recompressPayload, type ScanJob, type ScanJobResult } from '../protocol/records/scan-job.js';
import { scanPool } from '../protocol/records/scan-pool.js';
import type { ProducePolicy } from './topic-manager.js';
import { readInt64 } from '../storage/int64.js';

/** A batch may decompress to this many times max.message.bytes ... */
export const DECOMPRESSED_LIMIT_FACTOR = 64;
/** ... but to at least 16 MiB and at most 512 MiB. */
export const MIN_DECOMPRESSED_LIMIT = 16 * 1024 * 1024;

/** Largest decompressed records section of one batch for a topic's max.message.bytes (64 MiB at the default 1 MiB). */
export function maxDecompressedBytes(maxMessageBytes: number): number {
  return Math.min(DEFAULT_MAX_DECOMPRESSED_BYTES, Math.max(MIN_DECOMPRESSED_LIMIT, DECOMPRESSED_LIMIT_FACTOR * maxMessageBytes));
}

/** Compressed records sections larger than this are validated off the event loop. */
export const SYNC_MAX_COMPRESSED_BYTES = 1024 * 1024;
/** Decompressing past this on the event loop stops and the batch moves off it ... */
export const SYNC_MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024;
/** ... or past this for gzip, which inflates several times slower than the others (~1-2 ms per MiB). */
export const SYNC_MAX_GZIP_DECOMPRESSED_BYTES = 1024 * 1024;

/** Largest records section recompressed on the event loop with `codec` at `level` (~a few ms of work). */
function syncRecompressBytes(codec: number, level: number | undefined): number {
  switch (codec) {
    case CompressionType.none:
      return Infinity;
    case CompressionType.lz4:
    case CompressionType.snappy:
      return 2 * 1024 * 1024;
    case CompressionType.zstd:
      return level === undefined || level <= 3 ? 1024 * 1024 : 256 * 1024;
    default:
      return 256 * 1024;
  }
}

/** What checking one partition's records needs to know. */
interface Env {
  topic: string;
  partition: number;
  compact: boolean;
  bounded: boolean;
  low: number;
  high: number;
  policy: ProducePolicy | undefined;
  target: number | undefined;
  level: number | undefined;
  limit: number;
  maxMessageBytes: number;
  now: number;
}

const syncScanner = new RecordScanner();

/** Collects the decompressed bytes (copied: decompressors reuse their buffers) while scanning. */
class Collector implements DecompressSink {
  chunks: Buffer[] = [];
  size = 0;
  constructor(private readonly scanner: RecordScanner) {}
  write(chunk: Buffer, start: number, end: number): void {
    this.scanner.write(chunk, start, end);
    this.chunks.push(Buffer.from(chunk.subarray(start, end)));
    this.size += end - start;
  }
}

/**
 * Checks the records of every batch in `records` (already validated by validateRecordBatches) and
 * applies the topic policy. Returns the records to append (the same buffer unless recompressed),
 * or a promise of them when a batch is handled off the event loop. Throws (or rejects with)
 * KafkaError.
 */
export function checkProduceRecords(policy: ProducePolicy | undefined, topic: string, partition: number, records: Buffer, maxMessageBytes: number, now: number): Buffer | Promise<Buffer> {
  const target = policy === undefined || policy.compressionType === 'producer' ? undefined : CODEC_BY_TOPIC_COMPRESSION[policy.compressionType];
  const before = policy?.timestampBeforeMaxMs ?? Number.MAX_SAFE_INTEGER;
  const after = policy?.timestampAfterMaxMs ?? Number.MAX_SAFE_INTEGER;
  const env: Env = {
    topic,
    partition,
    compact: policy?.compact ?? false,
    bounded: before < Number.MAX_SAFE_INTEGER || after < Number.MAX_SAFE_INTEGER,
    low: now - before,
    high: now + after,
    policy,
    target,
    level: policy?.compressionLevel,
    limit: maxDecompressedBytes(maxMessageBytes),
    maxMessageBytes,
    now,
  };
  // Per batch: undefined (stored as is), its replacement, or a promise of either.
  let results: (Buffer | undefined | Promise<Buffer | undefined>)[] | undefined;
  let async = false;
  let pos = 0;
  let i = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    let r: Buffer | Promise<Buffer | undefined> | undefined;
    try {
      r = checkBatch(env, records, pos, size);
    } catch (e) {
      // Batches already handed to the pool are abandoned: their outcome no longer matters.
      if (async) for (const p of results ?? []) if (p instanceof Promise) p.catch(() => undefined);
      throw e;
    }
    if (r !== undefined) {
      results ??= [];
      results[i] = r;
      if (r instanceof Promise) async = true;
    }
    pos += size;
    i++;
  }
  if (results === undefined) return records;
  if (async) return Promise.all(results).then((done) => assemble(records, done));
  return assemble(records, results as (Buffer | undefined)[]);
}

/** `records` with the batches that have a replacement replaced (the same buffer when none has). */
function assemble(records: Buffer, replacements: (Buffer | undefined)[]): Buffer {
  if (replacements.every((r) => r === undefined)) return records;
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos + RECORD_BATCH_OVERHEAD <= records.length; i++) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    out.push(replacements[i] ?? records.subarray(pos, pos + size));
    pos += size;
  }
  return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
}

/** One batch: undefined when it is stored as is, else its replacement (or a promise of it). */
function checkBatch(env: Env, records: Buffer, pos: number, size: number): Buffer | Promise<Buffer | undefined> | undefined {
  const codec = records.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
  const count = records.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const start = pos + RECORD_BATCH_OVERHEAD;
  const end = pos + size;
  const recompressTo = env.target !== undefined && env.target !== codec ? env.target : undefined;
  const checks = recordChecks(env, records, pos);

  if (codec === CompressionType.none) {
    checkPolicy(env, scanRecords(records, start, end, count, checks), records, pos);
    if (recompressTo === undefined) return undefined;
    const body = records.subarray(start, end);
    if (body.length <= syncRecompressBytes(recompressTo, env.level)) return rebuild(env, records, pos, body, recompressTo);
    return offLoop(env, records, pos, { codec, body, count, limit: env.limit, scan: false, checks, recompress: recompressJob(env, recompressTo) }, false);
  }

  const body = records.subarray(start, end);
  if (body.length <= SYNC_MAX_COMPRESSED_BYTES) {
    const scanner = syncScanner.reset(count, env.limit).check(checks.keyless, checks.low, checks.high);
    const collector = recompressTo !== undefined ? new Collector(scanner) : undefined;
    try {
      decompressInto(codec, body, collector ?? scanner, env.limit, codec === CompressionType.gzip ? SYNC_MAX_GZIP_DECOMPRESSED_BYTES : SYNC_MAX_DECOMPRESSED_BYTES);
      scanner.finish();
    } catch (e) {
      if (!(e instanceof DecompressBudgetExceeded)) throw e;
      return offLoop(env, records, pos, { codec, body, count, limit: env.limit, scan: true, checks, ...(recompressTo === undefined ? {} : { recompress: recompressJob(env, recompressTo) }) }, true);
    }
    checkPolicy(env, scanner, records, pos);
    if (collector === undefined || recompressTo === undefined) return undefined;
    const plain = Buffer.concat(collector.chunks, collector.size);
    if (plain.length <= syncRecompressBytes(recompressTo, env.level)) return rebuild(env, records, pos, plain, recompressTo);
    return offLoop(env, records, pos, { codec: CompressionType.none, body: plain, count, limit: env.limit, scan: false, checks, recompress: recompressJob(env, recompressTo) }, false);
  }
  return offLoop(env, records, pos, { codec, body, count, limit: env.limit, scan: true, checks, ...(recompressTo === undefined ? {} : { recompress: recompressJob(env, recompressTo) }) }, true);
}

function recompressJob(env: Env, codec: number): NonNullable<ScanJob['recompress']> {
  return { codec, level: env.level, maxPayloadBytes: env.maxMessageBytes - RECORD_BATCH_OVERHEAD };
}

/** Runs `job` on the worker pool; applies the policy to its scan (when `scanned`) and rebuilds the batch when recompressed. */
function offLoop(env: Env, records: Buffer, pos: number, job: ScanJob, scanned: boolean): Promise<Buffer | undefined> {
  return scanPool()
    .run(job)
    .then((r: ScanJobResult) => {
      if (!r.ok) throw new KafkaError(r.code, r.message);
      if (scanned) checkPolicy(env, { index: job.count, nullKeys: r.nullKeys, minTimestampDelta: r.minTimestampDelta, maxTimestampDelta: r.maxTimestampDelta, keyless: r.keyless, tsFaults: r.tsFaults }, records, pos);
      if (r.payload === null || job.recompress === undefined) return undefined;
      return withPayload(records, pos, Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength), job.recompress.codec);
    });
}

/** The per-record checks of the topic policy for the batch at `pos`, as the scanner takes them (timestampDelta bounds). */
function recordChecks(env: Env, records: Buffer, pos: number): { keyless: boolean; low: number; high: number } {
  if (!env.bounded) return { keyless: env.compact, low: -Infinity, high: Infinity };
  const base = readInt64(records, pos + BASE_TIMESTAMP_OFFSET);
  return { keyless: env.compact, low: env.low - base, high: env.high - base };
}

/** Rejects the batch at `pos` with Kafka's record errors when the scan found keyless records (compacted topic) or timestamps out of range. */
function checkPolicy(env: Env, s: RecordScanStats, records: Buffer, pos: number): void {
  const keyless = env.compact && s.nullKeys > 0 ? (s.keyless ?? []) : [];
  const faults: { index: number; timestamp: number; offset: bigint }[] = [];
  if (env.bounded && s.tsFaults !== null) {
    const base = Number(records.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET));
    const baseOffset = records.readBigInt64BE(pos);
    for (let i = 0; i + 1 < s.tsFaults.length; i += 2) {
      const index = s.tsFaults[i] as number;
      const timestamp = base + (s.tsFaults[i + 1] as number);
      // Kafka leaves records without a timestamp (-1) alone.
      if (timestamp !== -1) faults.push({ index, timestamp, offset: baseOffset + BigInt(index) });
    }
  }
  const error = batchRecordErrors(env.topic, env.partition, keyless, faults, env.low, env.high);
  if (error !== null) throw error;
}

function rebuild(env: Env, records: Buffer, pos: number, plain: Buffer, codec: number): Buffer {
  return withPayload(records, pos, recompressPayload(plain, codec, env.level, env.maxMessageBytes - RECORD_BATCH_OVERHEAD), codec);
}

/** The batch at `pos` with `payload` (compressed with `codec`) as its records section. */
function withPayload(records: Buffer, pos: number, payload: Buffer, codec: number): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  records.copy(out, 0, pos, pos + RECORD_BATCH_OVERHEAD);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES_OFFSET);
  rewriteBatchCrc(out, 0);
  return out;
}
