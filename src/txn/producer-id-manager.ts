/**
 * Hands out producer ids in blocks, like Kafka's controller-backed ProducerIdManager. The end of
 * the last claimed block is persisted (atomically, fsynced) in `producer-id-block` in the first
 * log directory before any id of the block is used, so ids are never reused after a crash.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { atomicWriteFile } from '../storage/fs-util.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000n;
export const PRODUCER_ID_FILE = 'producer-id-block';
const MAX_PRODUCER_ID = 0x7fffffffffffffffn;

export class ProducerIdManager {
  private next = 0n;
  private blockEnd = 0n;
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, PRODUCER_ID_FILE);
    if (fs.existsSync(this.path)) {
      const m = /^next\.producer\.id=(\d+)$/m.exec(fs.readFileSync(this.path, 'utf8'));
      if (m) this.next = this.blockEnd = BigInt(m[1] as string);
    }
  }

  /** Makes sure ids at or below `id` are never handed out (e.g. ids found in the transaction log). */
  ensureAbove(id: bigint): void {
    if (id >= this.next) {
      this.next = id + 1n;
      if (this.next > this.blockEnd) this.blockEnd = this.next;
    }
  }

  generate(): bigint {
    if (this.next >= this.blockEnd) this.claimBlock();
    return this.next++;
  }

  private claimBlock(): void {
    const end = this.next + PRODUCER_ID_BLOCK_SIZE;
    if (end > MAX_PRODUCER_ID) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Producer ids are exhausted');
    try {
      atomicWriteFile(this.path, `# Samsa producer id block: ids below this value may have been handed out\nnext.producer.id=${end}\n`);
    } catch (e) {
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `cannot persist the producer id block: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    this.blockEnd = end;
  }
}
