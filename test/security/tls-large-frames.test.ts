/**
 * TLS input path under memory pressure: large produce requests (each bigger than the frame
 * reader's staging buffer, so each gets a buffer of its own) pipelined by librdkafka over SSL to a
 * broker whose queued.max.request.bytes (1 byte, non-strict) admits one frame at a time. The decrypted bytes the reader
 * cannot take yet wait on the connection (the socket paused) and are fed once memory is free:
 * every record arrives intact and in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startBroker } from '../../src/index.js';
import { KCAT } from '../helpers/compat.js';
import { makeTestCerts } from '../helpers/certs.js';
import { runProcess } from '../helpers/run-process.js';

test('three producers pipelining 700 KB requests over TLS into a request memory pool that admits one frame at a time: all stored intact, in order', { timeout: 120_000 }, async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.remove());
  const broker = await startBroker({
    port: 0,
    config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem, 'queued.max.request.bytes': 1 },
  });
  t.after(() => broker.stop());
  const ssl = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`];
  const values = Array.from({ length: 6 }, (_, i) => String.fromCharCode(97 + i).repeat(700_000));
  // Three producers at once: their frames compete for the broker-wide pool.
  const topics = ['big-1', 'big-2', 'big-3'];
  const produced = await Promise.all(topics.map((topic) => runProcess(KCAT, ['-P', '-b', broker.bootstrap, '-t', topic, '-X', 'batch.num.messages=1', '-X', 'linger.ms=0', '-X', 'max.in.flight=5', ...ssl], { input: `${values.join('\n')}\n`, timeoutMs: 60_000 })));
  for (const p of produced) assert.equal(p.code, 0, p.stderr);
  const digest = (xs: string[]): string[] => xs.map((x) => `${x.length}:${createHash('sha256').update(x).digest('hex').slice(0, 12)}`);
  for (const topic of topics) {
    const c = await runProcess(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-f', '%s\\n', ...ssl], { timeoutMs: 60_000 });
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(digest(c.stdout.toString().split('\n').filter((l) => l !== '')), digest(values), topic);
  }
});
