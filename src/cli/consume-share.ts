/**
 * `samsa consume --share-group NAME`: consumes as a member of a KIP-932 share group with the
 * project's ShareConsumer (src/client/share-consumer.ts). Every printed record is accepted; when
 * --max-messages stops the command mid-batch the records not printed are released, so the
 * group's other members get them. Stops at --max-messages, after --timeout-ms without a record,
 * or on SIGINT/SIGTERM, then closes its share session and leaves the group.
 * The share group starts where the broker's `group.share.auto.offset.reset` says (latest by
 * default, as Kafka's `share.auto.offset.reset`).
 */
import { AcknowledgeType, ShareConsumer } from '../client/share-consumer.js';
import type { ConnectionSettings } from './client.js';

export interface ShareConsumeOptions {
  group: string;
  topics: readonly string[];
  maxMessages: number | undefined;
  timeoutMs: number | undefined;
  maxWaitMs: number;
  signal: AbortSignal;
}

export interface SharedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** Runs the share consumer until a limit or the signal; returns how many records were printed. */
export async function consumeShareGroup(settings: ConnectionSettings, o: ShareConsumeOptions, emit: (r: SharedRecord) => Promise<void>): Promise<number> {
  const consumer = await ShareConsumer.connect({ broker: settings.bootstrap.join(','), groupId: o.group, topics: o.topics, clientId: settings.clientId, maxWaitMs: o.maxWaitMs });
  let emitted = 0;
  let lastActivity = Date.now();
  try {
    while (!o.signal.aborted && (o.maxMessages === undefined || emitted < o.maxMessages)) {
      const records = await consumer.poll();
      for (const r of records) {
        if (o.signal.aborted || (o.maxMessages !== undefined && emitted >= o.maxMessages)) {
          consumer.ack(r, AcknowledgeType.Release);
          continue;
        }
        await emit(r);
        consumer.ack(r, AcknowledgeType.Accept);
        emitted++;
      }
      if (records.length > 0) lastActivity = Date.now();
      else if (o.timeoutMs !== undefined && Date.now() - lastActivity >= o.timeoutMs) break;
    }
  } finally {
    await consumer.close().catch(() => undefined);
  }
  return emitted;
}
