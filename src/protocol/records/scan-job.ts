/**
 * The part of produce validation that may run off the event loop (scan-pool.ts runs it in a
 * worker thread): stream-decompress one batch's records section through the record scanner with
 * the decompressed-size limit, and recompress it when the topic asks for another codec. Plain data
 * in, plain data out (structured-clone friendly), errors as Kafka error codes.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { errorCodeOf, KafkaError } from '../../common/kafka-error.js';
import { CompressionType } from './batch-header.js';
import { compress, decompressIntoAsync, type DecompressSink } from './compression.js';
import { RecordScanner } from './record-scan.js';

export interface ScanJob {
  /** Codec of `body`. */
  codec: number;
  /** The batch's records section (bytes after the 61-byte header). */
  body: Uint8Array;
  /** The batch's recordsCount. */
  count: number;
  /** Largest decompressed size allowed (see maxDecompressedBytes). */
  limit: number;
  /** Scan the records (false when the caller scanned an uncompressed body already). */
  scan: boolean;
  /** Per-record checks while scanning: collect keyless indexes; timestampDelta bounds (see RecordScanner.check). */
  checks?: { keyless: boolean; low: number; high: number };
  /** Recompress the records with this codec; the payload may take at most `maxPayloadBytes`. */
  recompress?: { codec: number; level: number | undefined; maxPayloadBytes: number };
}

export type ScanJobResult =
  | { ok: true; nullKeys: number; minTimestampDelta: number; maxTimestampDelta: number; keyless: number[] | null; tsFaults: number[] | null; payload: Uint8Array | null }
  | { ok: false; code: number; message: string };

const NULL_SINK: DecompressSink = { write() {} };

class CollectingSink implements DecompressSink {
  readonly chunks: Buffer[] = [];
  constructor(private readonly scanner: RecordScanner | null) {}
  write(chunk: Buffer, start: number, end: number): void {
    this.scanner?.write(chunk, start, end);
    // Decompressors reuse their output buffers: keep a copy.
    this.chunks.push(Buffer.from(chunk.subarray(start, end)));
  }
}

/** Compresses the records section for a rebuilt batch; MESSAGE_TOO_LARGE when it would not fit in `maxPayloadBytes`. */
export function recompressPayload(plain: Buffer, codec: number, level: number | undefined, maxPayloadBytes: number): Buffer {
  const payload = codec === CompressionType.none ? plain : compress(codec, plain, level === undefined ? undefined : { level });
  if (payload.length > maxPayloadBytes) {
    throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `the record batch recompressed to the topic's compression.type takes ${payload.length} bytes of records, more than max.message.bytes allows (${maxPayloadBytes})`);
  }
  return payload;
}

export async function runScanJob(job: ScanJob): Promise<ScanJobResult> {
  try {
    const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const scanner = job.scan ? new RecordScanner().reset(job.count, job.limit) : null;
    if (scanner !== null && job.checks !== undefined) scanner.check(job.checks.keyless, job.checks.low, job.checks.high);
    let plain: Buffer | null = null;
    if (job.recompress === undefined) {
      await decompressIntoAsync(job.codec, body, scanner ?? NULL_SINK, job.limit);
    } else if (job.codec === CompressionType.none && scanner === null) {
      plain = body;
    } else {
      const sink = new CollectingSink(scanner);
      await decompressIntoAsync(job.codec, body, sink, job.limit);
      plain = Buffer.concat(sink.chunks);
    }
    scanner?.finish();
    let payload: Uint8Array | null = null;
    if (job.recompress !== undefined && plain !== null) {
      const r = job.recompress;
      const c = recompressPayload(plain, r.codec, r.level, r.maxPayloadBytes);
      // A fresh ArrayBuffer of exactly the payload, so it can be transferred.
      payload = new Uint8Array(c.length);
      payload.set(c);
    }
    return {
      ok: true,
      nullKeys: scanner?.nullKeys ?? 0,
      minTimestampDelta: scanner?.minTimestampDelta ?? Infinity,
      maxTimestampDelta: scanner?.maxTimestampDelta ?? -Infinity,
      keyless: scanner?.keyless ?? null,
      tsFaults: scanner?.tsFaults ?? null,
      payload,
    };
  } catch (e) {
    return { ok: false, code: errorCodeOf(e), message: e instanceof Error ? e.message : String(e) };
  }
}
