/**
 * The broker's TLS read path (network/tls-frame-input.ts): decrypted bytes land in the
 * connection's frame buffers, as plaintext connections read, instead of arriving as one new
 * Buffer per decrypted chunk through the TLSSocket's stream ('data' events, Readable.push).
 * Observed from outside: every Readable.push of data on a server-side TLSSocket of this process
 * is counted (kcat, the client, runs in a process of its own), and the records read back intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { startBroker } from '../../src/index.js';
import { KCAT } from '../helpers/compat.js';
import { makeTestCerts } from '../helpers/certs.js';
import { runProcess } from '../helpers/run-process.js';
import { startSecureBroker } from '../helpers/security.js';

test('4 MB produced over TLS: the broker pushes no decrypted chunk through the TLS stream, and every record reads back intact', { timeout: 120_000 }, async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.remove());
  let pushedChunks = 0;
  let pushedBytes = 0;
  const proto = TLSSocket.prototype as unknown as { push: (chunk: unknown, encoding?: BufferEncoding) => boolean };
  const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'push');
  const original = proto.push;
  proto.push = function push(this: TLSSocket & { _tlsOptions?: { isServer?: boolean } }, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (this._tlsOptions?.isServer === true && chunk instanceof Uint8Array) {
      pushedChunks++;
      pushedBytes += chunk.length;
    }
    return Readable.prototype.push.call(this, chunk, encoding);
  };
  t.after(() => {
    if (hadOwn) proto.push = original;
    else delete (proto as { push?: unknown }).push;
  });
  const broker = await startBroker({
    port: 0,
    config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.serverPem, 'num.partitions': 1 },
  });
  t.after(() => broker.stop());
  const ssl = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`];
  // 4,000 distinct 1 KB values (about 4 MB of requests, many TLS records per request).
  const values = Array.from({ length: 4000 }, (_, i) => createHash('sha256').update(String(i)).digest('hex').repeat(16));
  const produced = await runProcess(KCAT, ['-P', '-b', broker.bootstrap, '-t', 'tls-read', '-X', 'linger.ms=5', ...ssl], { input: `${values.join('\n')}\n`, timeoutMs: 60_000 });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await runProcess(KCAT, ['-C', '-b', broker.bootstrap, '-t', 'tls-read', '-e', '-f', '%s\\n', ...ssl], { timeoutMs: 60_000 });
  assert.equal(consumed.code, 0, consumed.stderr);
  const lines = consumed.stdout.toString().split('\n').filter((l) => l !== '');
  assert.equal(lines.length, values.length);
  assert.ok(lines.every((l, i) => l === values[i]), 'records differ from those produced');
  // Before: each decrypted chunk (at most 16 KiB) was pushed, over 4 MB in hundreds of chunks.
  assert.ok(pushedBytes < 64 * 1024, `${pushedChunks} decrypted chunks (${pushedBytes} bytes) pushed through the TLS stream`);
});

test('SASL_SSL: a frame over the pre-authentication limit, with 200 KB more behind it in the same flight, closes that connection; the listener keeps serving', { timeout: 60_000 }, async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.remove());
  const secure = await startSecureBroker(certs);
  t.after(() => secure.stop());
  const port = secure.port('SASL_SSL');
  // The size prefix declares 10 MB (over the limit before authentication); the bytes behind it
  // are decrypted in the same turn as the prefix, after the connection decided to close.
  const closed = await new Promise<boolean>((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile), servername: 'localhost' }, () => {
      const junk = Buffer.alloc(4 + 200_000, 0x41);
      junk.writeInt32BE(10_000_000, 0);
      c.write(junk);
    });
    c.on('error', () => resolve(true));
    c.on('close', () => resolve(true));
    c.on('data', () => reject(new Error('the broker answered an oversized unauthenticated frame')));
  });
  assert.ok(closed);
  const meta = await runProcess(KCAT, ['-L', '-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret'], { timeoutMs: 30_000 });
  assert.equal(meta.code, 0, meta.stderr);
  assert.match(meta.stdout.toString(), /1 brokers:/);
});
