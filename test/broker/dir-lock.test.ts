/**
 * Issue 10 item 7: a log directory is locked (`.lock`) before it is read. A second broker on the
 * same data dir (another process, or another broker in the same process) refuses to start and
 * names the holder; the first keeps serving. A lock left by a kill -9'd broker is taken over. The
 * listeners are bound before the logs are read, so a port conflict fails before any data is
 * touched.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { startBroker } from '../../src/index.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { withClient } from '../helpers/wire.js';

const dirs: string[] = [];
const procs: BrokerProcess[] = [];
after(async () => {
  for (const p of procs) await p.kill();
  for (const d of dirs) removeDir(d);
});

function newDir(): string {
  const d = tempDir('samsa-lock-');
  dirs.push(d);
  return d;
}

async function produceAndRead(port: number, topic: string, value: string): Promise<string[]> {
  return withClient(port, async (c) => {
    const code = await c.createTopic(topic, 1);
    assert.ok(code === 0 || code === 36, `CreateTopics error ${code}`);
    const res = await c.produce(topic, 0, encodeRecordBatch({ records: [{ key: 'k', value }] }), -1);
    assert.equal(res.errorCode, 0);
    const { batches } = await c.fetchAll(topic, 0, 0n);
    return batches.flatMap((b) => b.records.map((r) => r.value!.toString()));
  });
}

describe('log dir lock', { timeout: 60_000 }, () => {
  it('a second broker process on the same data dir exits non-zero naming the holder; the first keeps serving', async () => {
    const dataDir = newDir();
    const first = await startBrokerProcess({ dataDir });
    procs.push(first);
    assert.deepEqual(await produceAndRead(first.port, 'locked', 'a'), ['a']);
    const err = await startBrokerProcess({ dataDir }).then(
      (second) => {
        procs.push(second);
        return null;
      },
      (e: Error) => e,
    );
    assert.ok(err !== null, 'the second broker started on a locked data dir');
    assert.match(err.message, /broker exited with 1/);
    assert.match(err.message, new RegExp(`pid ${first.child.pid}\\b`), err.message);
    assert.ok(err.message.includes(dataDir), err.message);
    // The first broker still serves, and what it acknowledged is all there.
    assert.deepEqual(await produceAndRead(first.port, 'locked', 'b'), ['a', 'b']);
    assert.equal(await first.stop(), 0);
    assert.equal(readFileSync(join(dataDir, '.lock'), 'utf8'), 'released\n', 'the lock is released on a clean stop');
  });

  it('a second in-process broker on the same data dir is refused; after the first stops it starts', async () => {
    const dataDir = newDir();
    const first = await startBroker({ port: 0, dataDir });
    try {
      await assert.rejects(startBroker({ port: 0, dataDir }), (e: Error) => {
        assert.equal(e.name, 'LogDirLockedError');
        assert.ok(e.message.includes(dataDir) && e.message.includes(`pid ${process.pid}`), e.message);
        return true;
      });
      assert.deepEqual(await produceAndRead(first.port, 'inproc', 'x'), ['x']);
    } finally {
      await first.stop();
    }
    const again = await startBroker({ port: 0, dataDir });
    try {
      assert.deepEqual(await produceAndRead(again.port, 'inproc', 'y'), ['x', 'y']);
    } finally {
      await again.stop();
    }
  });

  it("takes over the lock of a kill -9'd broker on restart", async () => {
    const dataDir = newDir();
    const first = await startBrokerProcess({ dataDir });
    procs.push(first);
    assert.deepEqual(await produceAndRead(first.port, 'stale', 'before'), ['before']);
    await first.kill();
    assert.match(readFileSync(join(dataDir, '.lock'), 'utf8'), new RegExp(`^pid=${first.child.pid}$`, 'm'), 'the killed broker left its lock');
    const second = await startBrokerProcess({ dataDir });
    procs.push(second);
    assert.match(second.output(), new RegExp(`Took over the stale lock of .*pid ${first.child.pid}`));
    assert.match(readFileSync(join(dataDir, '.lock'), 'utf8'), new RegExp(`^pid=${second.child.pid}$`, 'm'));
    assert.deepEqual(await produceAndRead(second.port, 'stale', 'after'), ['before', 'after']);
    await second.stop();
  });

  it('binds the listeners before reading the logs: a port conflict fails without touching the data dir', async () => {
    const holder = await startBroker({ port: 0, dataDir: newDir() });
    try {
      const dataDir = newDir();
      await assert.rejects(startBroker({ port: holder.port, dataDir }), /EADDRINUSE/);
      assert.deepEqual(readdirSync(dataDir), ['.lock'], 'nothing but the (released) lock in the data dir');
      assert.equal(readFileSync(join(dataDir, '.lock'), 'utf8'), 'released\n');
    } finally {
      await holder.stop();
    }
  });
});
