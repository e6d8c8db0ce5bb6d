/**
 * Fetch v0-v3 from old clients: the stored v2 batches are down-converted to the message format the
 * version carries (v0-v1: magic 0; v2-v3: magic 1), as Kafka 3.x does; a v2 batch is never sent
 * in a v0-v3 response. Per partition, before reading (Kafka's KafkaApis.maybeConvertFetchedData):
 *
 * | condition                                              | answer                             |
 * |--------------------------------------------------------|------------------------------------|
 * | topic compression.type=zstd (any Fetch below v10)      | UNSUPPORTED_COMPRESSION_TYPE       |
 * | message.downconversion.enable=false (topic or broker)  | UNSUPPORTED_VERSION                |
 * | first batch to convert is zstd-compressed              | UNSUPPORTED_COMPRESSION_TYPE       |
 *
 * The conversion (protocol/records/legacy-message-encode.ts) runs batch by batch over the bytes
 * the log read returned (bounded by the partition and response max bytes), so at most one
 * decompressed batch is held at a time; the converted bytes are bounded by the same limit, except
 * that the first converted batch is always sent when the read was the response's first (Kafka's
 * LazyDownConversionRecords guarantees one batch too). Samsa deviation: where Kafka pads or
 * truncates the converted bytes to the size it announced before converting (a partial trailing
 * message), Samsa converts before answering and sends whole messages only.
 * Control batches are dropped; an old client reads uncommitted (Fetch v0-v3 has no isolation
 * level), so aborted records reach it, as from Kafka. A later zstd batch ends the converted data
 * there (the client's next fetch starting at it gets UNSUPPORTED_COMPRESSION_TYPE).
 * Costs are counted in the broker's ConversionStats (conversion-stats.ts) and logged at debug level.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import { batchSizeAt, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { downConvertBatch, type LegacyMagic } from '../protocol/records/legacy-message-encode.js';
import type { BrokerBufferPools } from '../common/buffer-pool.js';
import type { ConversionStats } from './conversion-stats.js';
import type { TopicController } from './topic-controller.js';
import type { Partition } from './partition.js';

/** Fetch versions below this carry magic 0/1 messages. */
export const FIRST_V2_FETCH_VERSION = 4;

/** The message format a Fetch version carries: 0 or 1, or -1 for record batches (v4+). */
export function legacyMagicOf(fetchVersion: number): LegacyMagic | -1 {
  if (fetchVersion >= FIRST_V2_FETCH_VERSION) return -1;
  return fetchVersion <= 1 ? 0 : 1;
}

/** What down-conversion uses: produce policies (compression), the log-read pool and the stats. */
export interface DownConvertDeps {
  readonly topics: Pick<TopicController, 'producePolicy'>;
  readonly pools: { readonly logReads: Pick<BrokerBufferPools['logReads'], 'give'> };
  readonly conversions: Pick<ConversionStats, 'recordFetch'>;
  readonly logger: Logger;
}

/** The error a v0-v3 fetch of `partition` gets before anything is read (NONE when it is served). */
export function legacyFetchError(deps: DownConvertDeps, partition: Partition): number {
  if (deps.topics.producePolicy(partition.topic)?.compressionType === 'zstd') return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if (partition.settings.downConversionEnable === false) return ErrorCode.UNSUPPORTED_VERSION;
  return ErrorCode.NONE;
}

export interface Converted {
  chunks: Buffer[];
  size: number;
}

/**
 * Converts the whole v2 batches `records` (a log read starting at the batch holding
 * `fetchOffset`) to `magic`: batches are converted while the output stays within `maxBytes`,
 * the first one regardless when `minOne`. The read buffer goes back to the log-read pool.
 */
export function downConvertRead(deps: DownConvertDeps, partition: Partition, records: Buffer, magic: LegacyMagic, fetchOffset: bigint, maxBytes: number, minOne: boolean, clientId: string | null): Converted {
  const chunks: Buffer[] = [];
  let size = 0;
  let batches = 0;
  let converted = 0;
  let bytesIn = 0;
  const started = performance.now();
  try {
    for (let p = 0; p + RECORD_BATCH_OVERHEAD <= records.length; ) {
      const batchSize = batchSizeAt(records, p);
      if (batchSize < RECORD_BATCH_OVERHEAD || p + batchSize > records.length) break;
      let c;
      try {
        c = downConvertBatch(records.subarray(p, p + batchSize), magic, fetchOffset);
      } catch (e) {
        // zstd: an error only when nothing precedes it; else the data ends before it.
        if (e instanceof KafkaError && chunks.length > 0) break;
        throw e;
      }
      if (c.data.length > 0) {
        if (size + c.data.length > maxBytes && !(minOne && chunks.length === 0)) break;
        chunks.push(c.data);
        size += c.data.length;
        converted += c.records;
      }
      batches++;
      bytesIn += batchSize;
      p += batchSize;
    }
  } finally {
    deps.pools.logReads.give(records);
  }
  deps.conversions.recordFetch(batches, converted, bytesIn, size, performance.now() - started);
  if (deps.logger.enabled('debug')) {
    deps.logger.debug(`down-converted ${batches} batches (${converted} records, ${bytesIn} -> ${size} bytes) of ${partition.topic}-${partition.index} from offset ${fetchOffset} to magic ${magic} for ${clientId ?? '?'}`);
  }
  return { chunks, size };
}
