/**
 * readTlsInto (network/tls-user-buffer.ts) on a real TLS connection over loopback: the server
 * side hands out buffers of odd sizes (down to 1 byte) and pauses/resumes the socket as it goes;
 * every decrypted byte lands in the buffers handed out, in order, and the end of the stream
 * still arrives as 'end'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { connect, createSecureContext, TLSSocket } from 'node:tls';
import { readTlsInto, tlsUserBufferSupported } from '../../src/network/tls-user-buffer.js';
import { makeTestCerts } from '../helpers/certs.js';

test('TLS server socket in user-buffer mode: 3 MB through buffers of 1 B to 70 KB with pauses arrive whole and in order, then end', { timeout: 60_000 }, async (t) => {
  assert.ok(tlsUserBufferSupported(), `user-buffer TLS reads not supported on ${process.version}`);
  const certs = makeTestCerts();
  t.after(() => certs.remove());
  const secureContext = createSecureContext({ key: readFileSync(certs.serverKeyFile), cert: readFileSync(certs.serverCertFile) });
  const payload = randomBytes(3 * 1024 * 1024);
  const received = Buffer.alloc(payload.length);
  const spare = Buffer.alloc(16);
  const sizes = [1, 7, 100, 5000, 16 * 1024, 70_000, 3];
  let pos = 0;
  let handed: Buffer | null = null;
  let calls = 0;
  let pauses = 0;
  let deliveredWhilePaused = 0;
  let switched = false;
  let overflow = 0;
  const done = new Promise<void>((resolve, reject) => {
    const server = createServer((raw: Socket) => {
      const s = new TLSSocket(raw, { isServer: true, secureContext });
      s.on('error', reject);
      s.once('secure', () => {
        switched = readTlsInto(s, {
          next: () => {
            const room = payload.length - pos;
            handed = room > 0 ? received.subarray(pos, pos + Math.min(room, sizes[calls % sizes.length] as number)) : spare;
            return handed;
          },
          received: (n, buf) => {
            assert.equal(buf, handed, 'bytes landed in a buffer other than the one handed out');
            if (buf === spare) overflow += n;
            else pos += n;
            calls++;
            if (s.isPaused()) deliveredWhilePaused++;
            else if (calls % 50 === 0) {
              // Backpressure: stop reading, go on a turn later.
              pauses++;
              s.pause();
              setImmediate(() => s.resume());
            }
          },
        });
        if (!switched) reject(new Error('readTlsInto refused the socket'));
      });
      s.once('end', () => {
        server.close();
        resolve();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const c = connect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile), servername: 'localhost' }, () => {
        // Written in pieces of various sizes, so records of all sizes arrive.
        let off = 0;
        let k = 0;
        while (off < payload.length) {
          const len = Math.min(payload.length - off, [100, 16 * 1024, 200_000, 1][k++ % 4] as number);
          c.write(payload.subarray(off, off + len));
          off += len;
        }
        c.end();
      });
      c.on('error', reject);
    });
  });
  await done;
  assert.ok(switched);
  assert.equal(overflow, 0);
  assert.equal(pos, payload.length);
  assert.equal(createHash('sha256').update(received).digest('hex'), createHash('sha256').update(payload).digest('hex'));
  assert.ok(pauses > 10, `${pauses} pauses`);
  t.diagnostic(`${calls} reads, ${pauses} pauses, ${deliveredWhilePaused} chunks delivered after a pause in the same turn`);
});

test('TLS 1.2 server socket in user-buffer mode: the client renegotiates between two 1 MB writes; every byte arrives in order', { timeout: 60_000 }, async (t) => {
  const certs = makeTestCerts();
  t.after(() => certs.remove());
  const secureContext = createSecureContext({ key: readFileSync(certs.serverKeyFile), cert: readFileSync(certs.serverCertFile), maxVersion: 'TLSv1.2' });
  const first = randomBytes(1024 * 1024);
  const second = randomBytes(1024 * 1024);
  const received = Buffer.alloc(first.length + second.length);
  let pos = 0;
  let renegotiated = false;
  const done = new Promise<void>((resolve, reject) => {
    const server = createServer((raw: Socket) => {
      const s = new TLSSocket(raw, { isServer: true, secureContext });
      s.on('error', reject);
      s.once('secure', () => {
        const ok = readTlsInto(s, {
          next: () => (pos < received.length ? received.subarray(pos, pos + 10_000) : Buffer.alloc(16)),
          received: (n) => {
            pos += n;
          },
        });
        if (!ok) reject(new Error('readTlsInto refused the socket'));
      });
      s.once('end', () => {
        server.close();
        resolve();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const c = connect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile), servername: 'localhost', maxVersion: 'TLSv1.2' }, () => {
        c.write(first, () => {
          c.renegotiate({}, (err) => {
            if (err) return reject(err);
            renegotiated = true;
            c.end(second);
          });
        });
      });
      c.on('error', reject);
    });
  });
  await done;
  assert.ok(renegotiated);
  assert.equal(pos, received.length);
  assert.ok(received.equals(Buffer.concat([first, second])));
});
