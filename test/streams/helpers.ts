/**
 * Shared pieces of the Streams tests: an in-process broker, kafkajs for producing the input and
 * reading the output topics back (a real client, independent of src/streams and src/client), a
 * temporary state directory, and polling with a deadline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';

export interface StreamsEnv {
  broker: RunningBroker;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  stateDir: string;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<StreamsEnv> {
  const broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  const kafka = new Kafka({ clientId: 'streams-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  const stateDir = mkdtempSync(join(tmpdir(), 'samsa-streams-test-'));
  return {
    broker,
    kafka,
    admin,
    producer,
    stateDir,
    async stop() {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await broker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what} ${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface OutRecord {
  key: string | null;
  value: string | null;
  partition: number;
  offset: string;
  timestamp: string;
}

let readers = 0;

/**
 * Reads `topic` from the beginning with a kafkajs group consumer until `done(records)` holds
 * (or the deadline passes); returns what it read.
 */
export async function readUntil(kafka: Kafka, topic: string, done: (records: readonly OutRecord[]) => boolean, timeoutMs = 60_000): Promise<OutRecord[]> {
  const consumer = kafka.consumer({ groupId: `streams-test-reader-${process.pid}-${readers++}`, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  const out: OutRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? null, partition, offset: message.offset, timestamp: message.timestamp });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return out;
}

/** The table a changelog-like output stands for: the last value of each key (in partition order). */
export function lastValues(records: readonly OutRecord[]): Map<string, string | null> {
  const byPartition = [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  const out = new Map<string, string | null>();
  for (const r of byPartition) if (r.key !== null) out.set(r.key, r.value);
  return out;
}

export const sortedEntries = (m: ReadonlyMap<string, string | null>): [string, string | null][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export const tableEquals = (a: ReadonlyMap<string, string | null>, b: ReadonlyMap<string, string | null>): boolean => JSON.stringify(sortedEntries(a)) === JSON.stringify(sortedEntries(b));

/** Waits until group `groupId` has committed the end offset of every non-empty partition of `topics` (all input processed). */
export async function waitCommitted(env: StreamsEnv, groupId: string, topics: readonly string[], detail: () => string = () => ''): Promise<void> {
  let seen = '';
  await until(`${groupId} to commit the end of ${topics.join(', ')}`, async () => {
    seen = '';
    let done = true;
    for (const topic of topics) {
      const ends = await env.admin.fetchTopicOffsets(topic);
      const committed = (await env.admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
      for (const e of ends) {
        const c = committed.find((x) => x.partition === e.partition)?.offset;
        seen += ` ${topic}-${e.partition}:${c}/${e.high}`;
        if (c !== e.high && e.high !== '0') done = false;
      }
    }
    return done;
  }, 90_000, () => `${seen} ${detail()}`);
}
