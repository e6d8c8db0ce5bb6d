/**
 * Log injection: a client.id with a newline must not forge broker log lines. A kafkajs consumer
 * whose clientId is "evil\nFORGED ERROR line" joins a group; the broker logs the new member (its
 * member id starts with the client id) at INFO, and no line of the broker's output may start with
 * the forged text: the newline is printed as the two characters \n.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { escapeControl } from '../../src/common/logger.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { logRecords } from '../helpers/log-lines.js';
import { waitFor, withClient } from '../helpers/wire.js';

const EVIL = 'evil\nFORGED ERROR line\r\u001b[31mred\u0085';
let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 1 } });
  await withClient(broker.port, async (c) => assert.equal(await c.createTopic('injection', 1), 0));
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

test('escapeControl: C0, DEL, C1 and line separators are escaped, text is kept', () => {
  assert.equal(escapeControl('plain ✓ text'), 'plain ✓ text');
  assert.equal(escapeControl('a\nb\rc\td'), 'a\\nb\\rc\\td');
  assert.equal(escapeControl('\u0000\u001b\u007f\u0085\u009f'), '\\x00\\x1b\\x7f\\x85\\x9f');
  assert.equal(escapeControl('x\u2028y\u2029'), 'x\\u2028y\\u2029');
});

test('a client.id with a newline does not forge a broker log line', { timeout: 60_000 }, async () => {
  const kafka = new Kafka({ clientId: EVIL, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'injection-group', sessionTimeout: 10_000, heartbeatInterval: 500 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: 'injection', fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    // The broker logs the member it adds; its member id starts with the client id.
    await waitFor(() => /Stabilized group injection-group/.test(broker.output()), 30_000, 'the group to stabilize');
  } finally {
    await consumer.disconnect();
  }
  const out = broker.output();
  // The message as decoded from its JSON line still shows the escapes (\n as two characters).
  assert.ok(logRecords(out).some((r) => r.msg.includes('evil\\nFORGED ERROR line\\r\\x1b[31mred\\x85')), `the client id is logged, escaped:\n${out}`);
  const lines = out.split('\n');
  const forged = lines.filter((l) => l.startsWith('FORGED') || l.includes('\u001b') || l.includes('\r') || l.includes('\u0085'));
  assert.deepEqual(forged, [], 'no output line starts with the forged text or carries raw control characters');
});
