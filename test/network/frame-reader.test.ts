import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { BufferPool } from '../../src/common/buffer-pool.js';
import { adoptFrameSocket, FrameReader } from '../../src/network/frame-reader.js';
import { FrameTooLargeError } from '../../src/network/frame-splitter.js';

function frame(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

/** Deterministic pseudo-random sizes. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Feeds `stream` through a reader the way a socket does: each read fills part of target(). */
function feed(reader: FrameReader, stream: Buffer, readSize: () => number): void {
  let pos = 0;
  while (pos < stream.length) {
    const target = reader.target();
    assert.ok(target.length > 0, 'target is never empty');
    const n = Math.min(target.length, stream.length - pos, Math.max(1, readSize()));
    stream.copy(target, 0, pos, pos + n);
    pos += n;
    reader.received(n);
  }
}

test('frames of every size come out whole, in order, for any read pattern; handed-out views are never overwritten', () => {
  const rnd = lcg(7);
  // Small frames that share staging buffers, frames around the staging limits, and large ones.
  const sizes = [0, 1, 3, 100, 32 * 1024 - 4, 32 * 1024 - 3, 40_000, 65_532, 65_536, 70_000, 1_000_000, 5, 2_000_000, 7];
  for (let i = 0; i < 300; i++) sizes.push(Math.floor(rnd() * (rnd() < 0.1 ? 300_000 : 3_000)));
  const payloads = sizes.map((n, i) => {
    const b = Buffer.allocUnsafe(n);
    for (let j = 0; j < n; j += 997) b[j] = (i + j) & 0xff;
    if (n > 0) b[n - 1] = i & 0xff;
    return b;
  });
  const stream = Buffer.concat(payloads.map(frame));
  for (const pattern of [() => 1, () => 4096, () => 65_536, () => 1 << 22, () => Math.floor(rnd() * 200_000)]) {
    const got: Buffer[] = [];
    const reader = new FrameReader(1 << 24, {
      onFrame: (f) => got.push(f),
      onError: (e) => assert.fail(e),
    }, new BufferPool(0));
    feed(reader, stream, pattern);
    assert.equal(got.length, payloads.length);
    // Checked only now: a later read overwriting an earlier frame's bytes would show here.
    got.forEach((g, i) => assert.ok(g.equals(payloads[i] as Buffer), `frame ${i} (${sizes[i]} bytes)`));
  }
});

test('a released frame buffer is reused by the next large frame; small frames and second releases are ignored', () => {
  const pool = new BufferPool(64 << 20);
  const got: Buffer[] = [];
  const reader = new FrameReader(1 << 24, { onFrame: (f) => got.push(f), onError: (e) => assert.fail(e) }, pool);
  feed(reader, Buffer.concat([frame(Buffer.alloc(200_000, 1)), frame(Buffer.alloc(10, 2))]), () => 65_536);
  const [big, small] = got as [Buffer, Buffer];
  reader.release(small);
  assert.equal(pool.pooledBytes, 0, 'a view of a staging buffer is not pooled');
  reader.release(big);
  reader.release(big);
  assert.equal(pool.pooledBytes, 256 * 1024, 'one 256 KiB class buffer, once');
  feed(reader, frame(Buffer.alloc(150_000, 3)), () => 65_536);
  const again = got[2] as Buffer;
  assert.equal(again.buffer, big.buffer, 'same memory');
  assert.equal(again.length, 150_000);
  assert.ok(again.equals(Buffer.alloc(150_000, 3)));
  assert.equal(pool.pooledBytes, 0);
});

test('negative and oversized size prefixes are reported once and nothing more is parsed', () => {
  for (const size of [-1, 101]) {
    const errors: Error[] = [];
    const frames: Buffer[] = [];
    const reader = new FrameReader(100, { onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) });
    const head = Buffer.alloc(4);
    head.writeInt32BE(size, 0);
    feed(reader, Buffer.concat([frame(Buffer.alloc(5)), head, frame(Buffer.alloc(5))]), () => 1000);
    assert.equal(frames.length, 1);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof FrameTooLargeError);
  }
});

test('over TCP: an adopted socket reads frames of mixed sizes, pauses and resumes, and writes answers', async () => {
  const received: number[] = [];
  let serverSocket: Socket | null = null;
  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    const reader: FrameReader = new FrameReader(1 << 24, {
      onFrame: (f) => {
        received.push(f.length);
        const answer = Buffer.alloc(8);
        answer.writeInt32BE(4, 0);
        answer.writeInt32BE(f.length, 4);
        s.write(answer);
        // Pause for a moment after every large frame: reading must stop and resume cleanly.
        if (f.length > 100_000) {
          s.pause();
          setTimeout(() => s.resume(), 5);
        }
        reader.release(f);
      },
      onError: () => s.destroy(),
    });
    const s = adoptFrameSocket(accepted, reader);
    serverSocket = s;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const sizes = [10, 500_000, 3, 70_000, 1_200_000, 0, 64, 33_000];
  const answers: number[] = [];
  let buf = Buffer.alloc(0);
  const done = new Promise<void>((resolve) => {
    client.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        answers.push(buf.readInt32BE(4));
        buf = buf.subarray(8);
      }
      if (answers.length === sizes.length) resolve();
    });
  });
  for (const n of sizes) client.write(frame(Buffer.alloc(n, 9)));
  await done;
  assert.deepEqual(answers, sizes);
  assert.deepEqual(received, sizes);
  assert.ok(serverSocket !== null && (serverSocket as Socket).remotePort === client.localPort);
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

test('partialFrame: true while a frame (small or large, prefix or payload) is partly read, false on frame boundaries', () => {
  const frames: number[] = [];
  const reader = new FrameReader(10_000_000, { onFrame: (f) => frames.push(f.length), onError: (e) => assert.fail(e) });
  const push = (bytes: Buffer): void => {
    const target = reader.target();
    bytes.copy(target);
    reader.received(bytes.length);
  };
  assert.equal(reader.partialFrame, false);
  // A 257-byte request that arrives as 256 bytes, then 1 (a client writing it as two TLS records).
  const small = frame(Buffer.alloc(253, 7));
  push(small.subarray(0, 2));
  assert.equal(reader.partialFrame, true, 'half a size prefix');
  push(small.subarray(2, 256));
  assert.equal(reader.partialFrame, true, 'all but the last byte');
  push(small.subarray(256));
  assert.equal(reader.partialFrame, false);
  assert.deepEqual(frames, [253]);
  // A frame large enough for a buffer of its own.
  const large = frame(Buffer.alloc(100_000, 1));
  push(large.subarray(0, 60_000));
  assert.equal(reader.partialFrame, true);
  for (let pos = 60_000; pos < large.length;) {
    const n = Math.min(reader.target().length, large.length - pos);
    push(large.subarray(pos, pos + n));
    pos += n;
  }
  assert.equal(reader.partialFrame, false);
  assert.deepEqual(frames, [253, 100_000]);
});
