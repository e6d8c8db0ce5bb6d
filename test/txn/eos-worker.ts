/**
 * A consume-transform-produce worker for the exactly-once test, run as a child process so the
 * test can kill -9 it at any point: a kafkajs consumer (read_committed, no auto-commit) reads
 * `in`, and for each fetched batch a transaction writes the transformed records to `out` and
 * commits the consumed offsets with sendOffsets. It sleeps inside each transaction (after the
 * send and after sendOffsets) so that kills land at every step of it.
 *
 * argv: bootstrap inTopic outTopic groupId transactionalId
 */
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, inTopic, outTopic, groupId, transactionalId] = process.argv.slice(2) as [string, string, string, string, string];

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'eos-worker', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 10 } });
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10_000 });
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 1_500,
    rebalanceTimeout: 3_000,
    heartbeatInterval: 300,
    maxBytesPerPartition: 200,
    maxWaitTimeInMs: 100,
    readUncommitted: false,
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [inTopic], fromBeginning: true });
  process.stdout.write('ready\n');
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const txn = await producer.transaction();
      process.stdout.write('txn\n');
      try {
        await txn.send({ topic: outTopic, messages: batch.messages.map((m) => ({ key: m.key, value: `out-${m.value?.toString() ?? ''}` })) });
        await sleep(20 + Math.floor(Math.random() * 40));
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
        await sleep(20 + Math.floor(Math.random() * 40));
        await txn.commit();
      } catch (e) {
        process.stderr.write(`transaction failed: ${e instanceof Error ? e.message : String(e)}\n`);
        await txn.abort().catch(() => undefined);
        process.exit(3);
      }
      resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
