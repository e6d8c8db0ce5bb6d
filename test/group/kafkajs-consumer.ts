/**
 * A kafkajs group consumer run as a child process by the group compatibility suites (see
 * consumer-scripts.ts for the event protocol). Not a test itself.
 */
import { Kafka, logLevel } from 'kafkajs';

interface Job {
  bootstrap: string;
  group: string;
  topic: string;
  id: string;
  session: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;

function emit(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);
}

const kafka = new Kafka({ clientId: job.id, brokers: [job.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
const consumer = kafka.consumer({ groupId: job.group, sessionTimeout: job.session, heartbeatInterval: 300, rebalanceTimeout: 30000, maxWaitTimeInMs: 100 });

consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const assignment = e.payload.memberAssignment as Record<string, number[]>;
  emit({ ev: 'assign', parts: assignment[job.topic] ?? [], full: true });
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  consumer.disconnect().then(
    () => {
      emit({ ev: 'closed' });
      process.exit(0);
    },
    () => process.exit(1),
  );
});

await consumer.connect();
await consumer.subscribe({ topic: job.topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    if (batch.messages.length === 0) return;
    for (const m of batch.messages) emit({ ev: 'rec', p: batch.partition, o: Number(m.offset), v: m.value?.toString() ?? '' });
    const next = Number((batch.messages[batch.messages.length - 1] as { offset: string }).offset) + 1;
    try {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(next) }]);
      emit({ ev: 'commit', offs: { [String(batch.partition)]: next } });
    } catch (e) {
      emit({ ev: 'commitfail', e: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  },
});
