/**
 * A Metadata request naming a million topics must not stall the broker: names are answered once
 * each (Kafka treats them as a set), checked cheaply, and processed in slices, so another
 * connection's ApiVersions is answered while the big request is in progress.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { decodeMetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js';
import { removeDir, startBrokerProcess } from '../helpers/broker-process.js';
import { rssKiB } from '../helpers/compat.js';
import { WireClient } from '../helpers/wire.js';

/** Sends `frame` on its own connection; resolves with the response payload (chunks collected, joined once). */
function sendBig(port: number, frame: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(frame));
    const chunks: Buffer[] = [];
    let got = 0;
    let need = -1;
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed before the answer')));
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (need < 0 && got >= 4) need = Buffer.concat(chunks).readInt32BE(0) + 4;
      if (need >= 0 && got >= need) {
        s.removeAllListeners('close');
        s.destroy();
        resolve(Buffer.concat(chunks, got).subarray(4, need));
      }
    });
  });
}

test('Metadata naming 1,000,000 topics: answered correctly while another connection keeps being served', { timeout: 300_000 }, async () => {
  const broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } });
  const probe = await WireClient.connect(broker.port);
  try {
    const pid = broker.child.pid as number;
    for (const kind of ['empty', 'unknown'] as const) {
      const n = 1_000_000;
      const topics = Array.from({ length: n }, (_, i) => ({ topicId: ZERO_UUID, name: kind === 'empty' ? '' : `t${i}` }));
      const frame = WireClient.encodeRequest(3, 12, { topics, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 7);
      let done = false;
      let peakRss = rssKiB(pid);
      let worst = 0;
      let probes = 0;
      const started = performance.now();
      const answer = sendBig(broker.port, frame).finally(() => (done = true));
      while (!done) {
        const t = performance.now();
        await Promise.race([probe.apiVersions(), answer]);
        if (!done) {
          worst = Math.max(worst, performance.now() - t);
          probes++;
        }
        peakRss = Math.max(peakRss, rssKiB(pid));
        await new Promise((r) => setTimeout(r, 5));
      }
      const payload = await answer;
      const elapsed = performance.now() - started;
      const r = new Reader(payload);
      assert.equal(r.readInt32(), 7);
      r.readTaggedFields();
      const res = decodeMetadataResponse(r, 12);
      console.log(`Metadata v12 with ${n} ${kind} names (${(frame.length / 1e6).toFixed(1)} MB): answered in ${elapsed.toFixed(0)} ms (${(payload.length / 1e6).toFixed(1)} MB), broker peak RSS ${peakRss >> 10} MB, slowest concurrent ApiVersions ${worst.toFixed(0)} ms over ${probes} probes`);
      if (kind === 'empty') {
        assert.equal(res.topics.length, 1);
        assert.equal(res.topics[0]?.errorCode, 17); // INVALID_TOPIC_EXCEPTION
      } else {
        assert.equal(res.topics.length, n);
        assert.ok(res.topics.every((t) => t.errorCode === 3)); // UNKNOWN_TOPIC_OR_PARTITION
        assert.equal(res.topics[n - 1]?.name, `t${n - 1}`);
      }
      assert.ok(worst < 1000, `a concurrent ApiVersions took ${worst.toFixed(0)} ms`);
    }
  } finally {
    probe.close();
    await broker.stop();
    removeDir(broker.dataDir);
  }
});
