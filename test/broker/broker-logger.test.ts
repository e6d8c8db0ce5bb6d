/**
 * No process-global state, the logger: two brokers in one process, each started with its own
 * sink and level (`startBroker({ logger: { sink, level } })`). A line caused by one broker's
 * activity reaches that broker's sink only, tagged `[broker <node.id>]`; each broker's level is its
 * own. Written against the embedded API alone, so it also runs (and fails) on a build whose logger
 * was process-wide, where the second broker's sink took every line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { waitFor, withClient } from '../helpers/wire.js';
import { describeRecord, logRecords } from '../helpers/log-lines.js';

/** A sink's lines as the text format printed them ("LEVEL [broker N] [component] msg"). */
const text = (lines: string[]): string[] => logRecords(lines).map(describeRecord);

const FIND_COORDINATOR = 10;
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

/** Sends a frame whose size prefix exceeds socket.request.max.bytes; the broker closes the connection. */
async function sendOversizedFrame(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff])));
    s.on('error', reject);
    s.on('close', () => resolve());
    s.resume();
  });
}

test('two brokers in one process log to their own sinks, at their own levels, each line tagged with its node id', { timeout: 60_000 }, async () => {
  const linesA: string[] = [];
  const linesB: string[] = [];
  const brokers: RunningBroker[] = [];
  try {
    brokers.push(await startBroker({ port: 0, config: { 'node.id': 1, 'offsets.topic.num.partitions': 1 }, logger: { sink: (l) => void linesA.push(l), level: 'debug' } }));
    brokers.push(await startBroker({ port: 0, config: { 'node.id': 2, 'transaction.state.log.num.partitions': 1 }, logger: { sink: (l) => void linesB.push(l), level: 'info' } }));
    const [a, b] = brokers as [RunningBroker, RunningBroker];

    // Each broker's start-up line went to its own sink.
    assert.ok(text(linesA).some((l) => /^INFO \[broker 1\] Samsa broker 1 started/.test(l)), `A's sink: ${JSON.stringify(linesA)}`);
    assert.ok(text(linesB).some((l) => /^INFO \[broker 2\] Samsa broker 2 started/.test(l)), `B's sink: ${JSON.stringify(linesB)}`);

    // Broker A's activity: its group coordinator creates __consumer_offsets (INFO).
    await withClient(a.port, async (c) => {
      const r = await c.request(FIND_COORDINATOR, 3, { key: 'logger-group', keyType: KEY_TYPE_GROUP });
      assert.equal(r.errorCode, 0);
    });
    await waitFor(() => linesA.some((l) => l.includes('Created internal topic __consumer_offsets')), 10_000, "A's offsets topic line");
    // Broker B's activity: its transaction coordinator creates __transaction_state (INFO).
    await withClient(b.port, async (c) => {
      const r = await c.request(FIND_COORDINATOR, 3, { key: 'logger-txn', keyType: KEY_TYPE_TRANSACTION });
      assert.equal(r.errorCode, 0);
    });
    await waitFor(() => linesB.some((l) => l.includes('Created internal topic __transaction_state')), 10_000, "B's transaction topic line");

    // A bad request to each (a frame over socket.request.max.bytes), logged at DEBUG: A logs at debug, B does not.
    await sendOversizedFrame(a.port);
    await sendOversizedFrame(b.port);
    await waitFor(() => text(linesA).some((l) => /^DEBUG \[broker 1\] \[network\] closing connection \d+ from 127\.0\.0\.1:\d+: /.test(l)), 10_000, "A's debug line for the oversized frame");

    const offsetsLine = text(linesA).find((l) => l.includes('Created internal topic __consumer_offsets'));
    assert.equal(offsetsLine, 'INFO [broker 1] [group-coordinator] Created internal topic __consumer_offsets with 1 partitions');
    const txnLine = text(linesB).find((l) => l.includes('Created internal topic __transaction_state'));
    assert.equal(txnLine, 'INFO [broker 2] [txn-coordinator] Created internal topic __transaction_state with 1 partitions');

    // Nothing crossed over: every line of a sink is its own broker's.
    assert.deepEqual(logRecords(linesA).filter((r) => r.broker !== 1), [], "lines in A's sink not tagged broker 1");
    assert.deepEqual(logRecords(linesB).filter((r) => r.broker !== 2), [], "lines in B's sink not tagged broker 2");
    assert.equal(logRecords(linesA).length, linesA.length, 'every line is a JSON log record');
    assert.ok(!linesB.some((l) => l.includes('__consumer_offsets')), "A's offsets topic line is not in B's sink");
    assert.ok(!linesA.some((l) => l.includes('__transaction_state')), "B's transaction topic line is not in A's sink");
    assert.deepEqual(logRecords(linesB).filter((r) => r.level === 'debug'), [], "B's level (info) is its own: no DEBUG line");
  } finally {
    for (const br of brokers) await br.stop().catch(() => undefined);
  }
});

test('stopping one broker leaves the other logging to its own sink', { timeout: 60_000 }, async () => {
  const linesA: string[] = [];
  const linesB: string[] = [];
  const a = await startBroker({ port: 0, config: { 'node.id': 1, 'offsets.topic.num.partitions': 1 }, logger: { sink: (l) => void linesA.push(l) } });
  let b: RunningBroker | null = null;
  try {
    b = await startBroker({ port: 0, config: { 'node.id': 2 }, logger: { sink: (l) => void linesB.push(l) } });
    await b.stop();
    b = null;
    const before = linesB.length;
    await withClient(a.port, async (c) => {
      const r = await c.request(FIND_COORDINATOR, 3, { key: 'after-stop', keyType: KEY_TYPE_GROUP });
      assert.equal(r.errorCode, 0);
    });
    await waitFor(() => text(linesA).some((l) => l.includes('[broker 1] [group-coordinator] Created internal topic __consumer_offsets')), 10_000, "A's line after B stopped");
    assert.equal(linesB.length, before, "the stopped broker's sink gets no more lines");
  } finally {
    await b?.stop().catch(() => undefined);
    await a.stop();
  }
});
