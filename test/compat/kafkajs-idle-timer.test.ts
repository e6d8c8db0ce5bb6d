/**
 * kafkajs in the test processes schedules no timer with a negative delay: unpatched, kafkajs 2.2.4
 * schedules a check of its (empty) request queue at about -Date.now() ms after each response,
 * which Node runs after 1 ms and which schedules the next one (a 1 ms loop per idle connection),
 * and which Node >= 23 reports as "TimeoutNegativeWarning: -1796635429594 is a negative number"
 * (printed by every Streams test file in CI). test/helpers/kafkajs-idle-timer.ts, preloaded into
 * every test process by scripts/run-tests.mjs, stops that; this test runs a kafkajs admin,
 * producer and consumer against a real broker and counts negative delays (any Node version) and
 * TimeoutNegativeWarnings (Node >= 23).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';

const { Kafka, logLevel } = kafkajs;

let broker: RunningBroker;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-kafkajs-timer-'));
  broker = await startBroker({ port: 0, dataDir: dir, config: { 'group.initial.rebalance.delay.ms': 0 } });
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('kafkajs admin, producer and consumer schedule no timer with a negative delay (no TimeoutNegativeWarning)', { timeout: 60_000 }, async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'TimeoutNegativeWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const negative: number[] = [];
  const realSetTimeout = globalThis.setTimeout;
  const spy = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): ReturnType<typeof setTimeout> => {
    if (typeof ms === 'number' && ms < 0) negative.push(ms);
    return realSetTimeout(fn, ms, ...args);
  };
  globalThis.setTimeout = spy as unknown as typeof setTimeout;
  const kafka = new Kafka({ clientId: 'idle-timer', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'idle-timer-group' });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idle-timer', numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic: 'idle-timer', messages: [{ value: 'a' }, { value: 'b' }] });
    await consumer.connect();
    await consumer.subscribe({ topics: ['idle-timer'], fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 2) resolve();
        },
      });
    });
    await done;
    for (let i = 0; i < 3; i++) await admin.listTopics();
  } finally {
    globalThis.setTimeout = realSetTimeout;
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
  // process.emitWarning emits on the next tick.
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.deepEqual(negative.slice(0, 3), [], `${negative.length} timer(s) scheduled with a negative delay`);
  assert.deepEqual(warnings, []);
});
