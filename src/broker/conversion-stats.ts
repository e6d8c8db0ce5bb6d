/**
 * Message-format conversion counters of the broker (Kafka's ProduceMessageConversionsPerSec /
 * FetchMessageConversionsPerSec and the conversion time), so the cost of serving old clients is
 * visible: Produce up-converts old-format (magic 0/1) message sets to v2 batches.
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
}
