/**
 * The kafka-python quick-start from a tutorial, run with Debian's Python against a broker started
 * the README way: the consumer prints the produced message. Only the tutorial's address is
 * rewritten to the test broker's free port, so the test runs beside a broker on 9092.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { DEBIAN_PYTHON } from '../helpers/run-process.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { withClient } from '../helpers/wire.js';

const TUTORIAL = `from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers='localhost:9092')
producer.send('orders', b'New order created'); producer.flush()
from kafka import KafkaConsumer
consumer = KafkaConsumer('orders', bootstrap_servers='localhost:9092', auto_offset_reset='earliest')
for message in consumer: print(message.value.decode())
`;

/** Waits until the consumer has printed `line`; false if it exits or 45 s pass first. */
function printed(out: () => string, line: string, exited: Promise<unknown>, onData: (cb: () => void) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const has = (): boolean => out().split('\n').includes(line);
    if (has()) return resolve(true);
    const timer = setTimeout(() => resolve(false), 45_000);
    onData(() => {
      if (has()) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(has());
    });
  });
}

test('tutorial: kafka-python quick start against samsa start (address rewritten to a free port)', async () => {
  const dir = tempDir('samsa-tutorial-');
  const broker = await startBrokerProcess({ port: 0, dataDir: join(dir, 'data') });
  const script = join(dir, 'tutorial.py');
  writeFileSync(script, TUTORIAL.replaceAll('localhost:9092', `localhost:${broker.port}`));
  const py = spawn(DEBIAN_PYTHON, ['-u', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  let stdout = '';
  let stderr = '';
  py.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => py.once('exit', (code) => res(code)));
  const listeners: Array<() => void> = [];
  py.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const l of listeners) l();
  });
  const waitFor = (line: string): Promise<boolean> => printed(() => stdout, line, exited, (cb) => listeners.push(cb));
  const diagnostics = (): string => `stdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}\nbroker:\n${broker.output().slice(-2000)}`;
  try {
    assert.ok(await waitFor('New order created'), `the consumer did not print the message\n${diagnostics()}`);
    // Exactly once: a second record produced now is printed right after the first, nothing between.
    await withClient(broker.port, async (c) => {
      const r = await c.produce('orders', 0, encodeRecordBatch({ records: [{ value: Buffer.from('second order') }] }));
      assert.equal(r.errorCode, 0);
    });
    assert.ok(await waitFor('second order'), `the consumer did not print the second message\n${diagnostics()}`);
    assert.deepEqual(
      stdout.split('\n').filter((l) => l !== ''),
      ['New order created', 'second order'],
    );
    assert.equal(py.exitCode, null, 'the consumer keeps running (it loops forever)');
    // The broker stored exactly that one record.
    await withClient(broker.port, async (c) => {
      const { batches } = await c.fetchAll('orders', 0);
      const recs = batches.flatMap((b) => b.records);
      assert.equal(recs.length, 2);
      assert.equal(recs[0]!.value?.toString(), 'New order created');
      assert.equal(recs[0]!.key, null);
    });
  } finally {
    py.kill('SIGKILL');
    await exited;
    await broker.stop();
    removeDir(dir);
  }
});
