/**
 * Shared by the old-message-format compat tests: reading a partition back with kafkajs (a modern
 * client, Fetch v11 with v2 batches) so what old producers wrote is checked by someone else.
 */
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface ReadBack {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** The first `count` records of partition 0 of `topic`, read by a kafkajs consumer from the beginning (30 s deadline). */
export async function kafkajsReadBack(bootstrap: string, topic: string, count: number): Promise<ReadBack[]> {
  const kafka = new Kafka({ clientId: 'legacy-readback', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `legacy-rb-${topic}-${Date.now()}`, sessionTimeout: 10_000 });
  const out: ReadBack[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${out.length} of ${count} records of ${topic}`)), 30_000);
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        reject(new Error(`kafkajs consumer crashed: ${JSON.stringify(e.payload)}`));
      });
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (partition !== 0) return;
          out.push({ offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, timestamp: Number(message.timestamp) });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.offset - b.offset);
}
