/**
 * A client that pipelines fetches and never reads the answers must not make the broker buffer
 * responses without bound: the connection stops reading requests once ~8 MB of responses wait,
 * and resumes when the client reads again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess } from '../helpers/broker-process.js';
import { rssKiB } from '../helpers/compat.js';
import { withClient } from '../helpers/wire.js';

test('pipelined fetches from a client that does not read: broker memory stays bounded, answers resume', { timeout: 60_000 }, async () => {
  const broker = await startBrokerProcess();
  try {
    await withClient(broker.port, async (c) => {
      assert.equal(await c.createTopic('slow', 1), 0);
      const value = Buffer.alloc(100_000, 7);
      for (let i = 0; i < 40; i++) {
        const r = await c.produce('slow', 0, encodeRecordBatch({ records: [{ value }, { value }, { value }, { value }, { value }] }));
        assert.equal(r.errorCode, 0);
      }
    });
    const pid = broker.child.pid as number;
    const before = rssKiB(pid);
    // 400 fetches of about 1 MB each (about 400 MB of answers if all were buffered), pipelined
    // on one connection that does not read.
    const client = await ProtocolClient.connect({ port: broker.port, requestTimeoutMs: 0 });
    try {
      client.pause();
      const fetch = {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'slow', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
        forgottenTopicsData: [], rackId: '',
      };
      let received = 0;
      const answers: Promise<void>[] = [];
      for (let i = 1; i <= 400; i++) answers.push(client.request(1, 11, fetch).then(() => void received++));
      const all = Promise.all(answers);
      all.catch(() => undefined); // awaited below; rejects only if the connection breaks
      await new Promise((res) => setTimeout(res, 2000));
      const during = rssKiB(pid);
      assert.ok(during - before < 150 * 1024, `broker RSS grew by ${((during - before) / 1024).toFixed(0)} MB while the client was not reading`);
      // The client reads again: every answer arrives.
      client.resume();
      await all;
      assert.equal(received, 400);
    } finally {
      client.close();
    }
  } finally {
    await broker.stop();
    removeDir(broker.dataDir);
  }
});
