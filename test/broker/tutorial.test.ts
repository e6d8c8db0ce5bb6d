/**
 * The kafka-python quick-start from a tutorial, run unchanged with Debian's Python against a broker
 * started the README way on localhost:9092: the consumer prints the produced message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { DEBIAN_PYTHON } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

const TUTORIAL = `from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers='localhost:9092')
producer.send('orders', b'New order created'); producer.flush()
from kafka import KafkaConsumer
consumer = KafkaConsumer('orders', bootstrap_servers='localhost:9092', auto_offset_reset='earliest')
for message in consumer: print(message.value.decode())
`;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}

test('tutorial: kafka-python quick start against samsa start --port 9092', async () => {
  assert.ok(await portFree(9092), 'port 9092 is busy: the tutorial test needs localhost:9092 (stop whatever listens there, e.g. a local Kafka or `npm start`)');
  const dir = tempDir('samsa-tutorial-');
  const broker = await startBrokerProcess({ port: 9092, dataDir: join(dir, 'data') });
  const script = join(dir, 'tutorial.py');
  writeFileSync(script, TUTORIAL);
  const py = spawn(DEBIAN_PYTHON, ['-u', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  let stdout = '';
  let stderr = '';
  py.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => py.once('exit', (code) => res(code)));
  try {
    assert.equal(broker.port, 9092);
    const printed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 45_000);
      py.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.split('\n').includes('New order created')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve(stdout.split('\n').includes('New order created'));
      });
    });
    assert.ok(printed, `the consumer did not print the message\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}\nbroker:\n${broker.output().slice(-2000)}`);
    // Give the consumer a moment: the message must be printed exactly once.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(
      stdout.split('\n').filter((l) => l !== ''),
      ['New order created'],
    );
    assert.equal(py.exitCode, null, 'the consumer keeps running (it loops forever)');
    // The broker stored exactly that one record.
    await withClient(broker.port, async (c) => {
      const { batches } = await c.fetchAll('orders', 0);
      const recs = batches.flatMap((b) => b.records);
      assert.equal(recs.length, 1);
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
