/**
 * Set-up steps the real-client tests repeat with kafkajs: create a topic (admin) and produce its
 * first records (acks=all), each client connected for the step and disconnected after it.
 */
import type { Kafka, Message } from 'kafkajs';

/** Creates `topic` with `partitions` partitions and sends `messages` to it in one acks=all request. */
export async function createTopicWithRecords(kafka: Kafka, topic: string, partitions: number, messages: Message[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
  if (messages.length === 0) return;
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
