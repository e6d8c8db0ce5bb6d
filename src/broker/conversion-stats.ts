/**
 * Message-format conversion counters of the broker (Kafka's ProduceMessageConversionsPerSec /
 * FetchMessageConversionsPerSec and the conversion time), so the cost of serving old clients is
 * visible: Produce up-converts old-format (magic 0/1) message sets to v2 batches, Fetch v0-v3
 * down-converts stored v2 batches to them (fetch-down-convert.ts).
 */
export class ConversionStats {
  /** Old-format message sets converted to v2 batches by Produce. */
  produceBatches = 0;
  /** Records in them. */
  produceRecords = 0;
  /** Bytes of the old-format sets converted. */
  produceBytes = 0;
  /** Time spent converting, in milliseconds. */
  produceMs = 0;

  recordProduce(records: number, bytes: number, ms: number): void {
    this.produceBatches++;
    this.produceRecords += records;
    this.produceBytes += bytes;
    this.produceMs += ms;
  }

  /** Fetch v0-v3 partition reads down-converted. */
  fetchReads = 0;
  /** Stored v2 batches converted by them (control batches included: they are dropped). */
  fetchBatches = 0;
  /** Records sent in the old format. */
  fetchRecords = 0;
  /** Stored bytes converted, and the old-format bytes sent for them. */
  fetchBytesIn = 0;
  fetchBytesOut = 0;
  /** Time spent converting, in milliseconds. */
  fetchMs = 0;

  recordFetch(batches: number, records: number, bytesIn: number, bytesOut: number, ms: number): void {
    this.fetchReads++;
    this.fetchBatches += batches;
    this.fetchRecords += records;
    this.fetchBytesIn += bytesIn;
    this.fetchBytesOut += bytesOut;
    this.fetchMs += ms;
  }
}
