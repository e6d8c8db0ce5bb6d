/**
 * The null broker's same-run floors (issue 22): store mode (every batch CRC-checked, every byte
 * appended to one file per partition) and the SSL listener (Samsa's TLS settings), each driven by
 * a real client over TCP.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Producer } from '@platformatic/kafka';
import { NullBroker } from '../../bench/null-broker.js';
import { checkBatches } from '../../bench/null-store.js';
import { makeCerts } from '../../bench/security.js';
import { WireClient } from '../../bench/wire-client.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import type { ProduceResponse } from '../../src/protocol/generated/messages/produce.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';

const run = promisify(execFile);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-null-floors-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('null broker store mode: a real client\'s batches land byte for byte in one file per partition, each CRC-checked; a corrupt batch is refused', async () => {
  const nb = new NullBroker({ storeDir: join(dir, 'store') });
  await nb.start();
  const producer = new Producer({ clientId: 't', bootstrapBrokers: [nb.bootstrap], acks: 1 });
  try {
    nb.createTopic('st', 2);
    const value = Buffer.alloc(300, 7);
    for (let i = 0; i < 3; i++) await producer.send({ messages: Array.from({ length: 5 }, (_, k) => ({ topic: 'st', value, partition: k % 2 })) });
    const r = await producer.send({ messages: [{ topic: 'st', value, partition: 1 }] });
    assert.equal(r.offsets?.[0]?.offset, 6n, 'offsets come from the record counts (3 sends × 2 records on partition 1 before)');

    const files = readdirSync(join(dir, 'store')).sort();
    assert.deepEqual(files, ['st-0.log', 'st-1.log']);
    const on = (p: number): Buffer => readFileSync(join(dir, 'store', `st-${p}.log`));
    assert.deepEqual(checkBatches(on(0)), { records: 9, batches: 3 });
    assert.deepEqual(checkBatches(on(1)), { records: 7, batches: 4 });
    const written = files.reduce((n, f) => n + statSync(join(dir, 'store', f)).size, 0);
    assert.equal(nb.files?.stats.bytesWritten, written, 'every byte received is in the files');
    assert.equal(nb.stats.bytes, written);
    assert.equal(nb.files?.stats.batchesChecked, 7);

    // A batch whose bytes changed after its CRC was computed: CORRUPT_MESSAGE, nothing written.
    const bad = encodeRecordBatch({ records: [{ value: Buffer.from('hello') }] });
    bad.writeUInt8(bad.readUInt8(bad.length - 3) ^ 0xff, bad.length - 3);
    const c = await WireClient.connect(nb.port);
    try {
      const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'st', partitionData: [{ index: 0, records: bad }] }] });
      assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.CORRUPT_MESSAGE);
    } finally {
      c.close();
    }
    assert.equal(nb.files?.stats.rejected, 1);
    assert.equal(statSync(join(dir, 'store', 'st-0.log')).size, on(0).length);
    assert.deepEqual(checkBatches(on(0)), { records: 9, batches: 3 });
  } finally {
    await producer.close();
    await nb.stop();
  }
});

test('null broker SSL listener: kcat produces and consumes over TLS with Samsa\'s default settings; Metadata names the SSL port; the suite is logged', async () => {
  const certs = makeCerts(join(dir, 'certs'));
  const logged: string[] = [];
  const nb = new NullBroker({ ssl: { keystorePem: certs.serverPem }, log: (m) => logged.push(m) });
  await nb.start();
  try {
    assert.ok(nb.sslPort > 0 && nb.sslPort !== nb.port);
    nb.createTopic('tls', 1);
    const ssl = ['-b', `127.0.0.1:${nb.sslPort}`, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.ca}`];
    // kcat -L: the broker list names the listener the client came in on.
    const md = await run('kcat', [...ssl, '-L', '-t', 'tls'], { timeout: 60_000 });
    assert.match(md.stdout, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${nb.sslPort}`));
    const produce = execFile('kcat', [...ssl, '-P', '-t', 'tls', '-p', '0'], { timeout: 60_000 });
    const produced = new Promise<void>((resolve, reject) => produce.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited ${code}`)))));
    produce.stdin?.end(Array.from({ length: 20 }, (_, i) => `record-${i}`).join('\n') + '\n');
    await produced;
    assert.equal(nb.stats.records, 20);
    const consumed = await run('kcat', [...ssl, '-C', '-t', 'tls', '-p', '0', '-o', 'beginning', '-c', '20', '-e', '-q'], { timeout: 60_000 });
    assert.equal(consumed.stdout.trim().split('\n').length, 20, 'the synthetic fetch over TLS');
    const suites = Object.keys(nb.stats.tlsSuites);
    assert.ok(suites.length > 0 && suites.every((s) => /^TLSv1\.[23] \S+$/.test(s)), suites.join(', '));
    assert.deepEqual(logged, suites.map((s) => `TLS suite: ${s}`));
    assert.ok((nb.stats.tlsRead['user-buffer'] ?? 0) + (nb.stats.tlsRead['data'] ?? 0) >= 2);
  } finally {
    await nb.stop();
  }
});
