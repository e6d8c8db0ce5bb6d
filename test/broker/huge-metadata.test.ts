/**
 * A Metadata request naming a million topics must not stall the broker: the frame is decoded and
 * the answer encoded in time slices, names are answered once each (Kafka treats them as a set),
 * checked cheaply, and processed in slices, so another connection's ApiVersions is answered while
 * the big request is in progress. Also the largest request socket.request.max.bytes (100 MiB)
 * admits: ~52 million empty names with v8.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import { ZERO_UUID } from '../../src/protocol/primitives/uuid.js';
import { removeDir, startBrokerProcess } from '../helpers/broker-process.js';
import { describeRun, responseBody, sendWhileProbing } from '../helpers/liveness.js';
import { WireClient } from '../helpers/wire.js';

/**
 * Liveness bound asserted: generous, so that a loaded machine (the whole suite at once, GC pauses
 * included) does not fail it — measured worst 29-79 ms alone and up to ~530 ms under the full
 * suite — yet far below the 3.8-6 s stalls of the code before slicing. The measured worst is
 * printed; the < 100 ms target is a measurement, not an assertion.
 */
const PROBE_BOUND_MS = 1500;

test('Metadata naming 1,000,000 topics: answered correctly while another connection keeps being served', { timeout: 300_000 }, async () => {
  const broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } });
  const probe = await WireClient.connect(broker.port);
  try {
    const pid = broker.child.pid as number;
    for (const kind of ['empty', 'unknown'] as const) {
      const n = 1_000_000;
      const topics = Array.from({ length: n }, (_, i) => ({ topicId: ZERO_UUID, name: kind === 'empty' ? '' : `t${i}` }));
      const frame = WireClient.encodeRequest(3, 12, { topics, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 7);
      const run = await sendWhileProbing(broker.port, pid, frame, probe);
      console.log(describeRun(`Metadata v12 with ${n} ${kind} names`, frame, run));
      const { correlationId, r } = responseBody(run.payload, true);
      assert.equal(correlationId, 7);
      const res = decodeMetadataResponse(r, 12);
      if (kind === 'empty') {
        assert.equal(res.topics.length, 1);
        assert.equal(res.topics[0]?.errorCode, 17); // INVALID_TOPIC_EXCEPTION
      } else {
        assert.equal(res.topics.length, n);
        assert.ok(res.topics.every((t) => t.errorCode === 3)); // UNKNOWN_TOPIC_OR_PARTITION
        assert.equal(res.topics[n - 1]?.name, `t${n - 1}`);
      }
      assert.ok(run.worstProbeMs < PROBE_BOUND_MS, `a concurrent ApiVersions took ${run.worstProbeMs.toFixed(0)} ms`);
    }
  } finally {
    probe.close();
    await broker.stop();
    removeDir(broker.dataDir);
  }
});

/** A Metadata v8 frame (request header v1, no client id) naming `n` empty topics, built directly. */
function emptyNamesV8(n: number, correlationId: number): Buffer {
  const size = 2 + 2 + 4 + 2 + 4 + 2 * n + 3;
  const frame = Buffer.alloc(4 + size); // zeros: every name is an int16 length of 0
  let o = frame.writeInt32BE(size, 0);
  o = frame.writeInt16BE(3, o);
  o = frame.writeInt16BE(8, o);
  o = frame.writeInt32BE(correlationId, o);
  o = frame.writeInt16BE(-1, o); // client id: null
  frame.writeInt32BE(n, o);
  // allowAutoTopicCreation, includeClusterAuthorizedOperations, includeTopicAuthorizedOperations: false
  return frame;
}

test('Metadata v8 as large as socket.request.max.bytes allows (~52M empty names): answered while ApiVersions keeps being served', { timeout: 600_000 }, async () => {
  const maxBytes = 104_857_600;
  const n = Math.floor((maxBytes - 17) / 2);
  const frame = emptyNamesV8(n, 9);
  assert.ok(frame.length - 4 <= maxBytes);
  const broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } });
  const probe = await WireClient.connect(broker.port);
  try {
    const run = await sendWhileProbing(broker.port, broker.child.pid as number, frame, probe);
    console.log(describeRun(`Metadata v8 with ${n} empty names`, frame, run));
    const { correlationId, r } = responseBody(run.payload, false);
    assert.equal(correlationId, 9);
    const res = decodeMetadataResponse(r, 8);
    assert.equal(res.topics.length, 1);
    assert.equal(res.topics[0]?.errorCode, 17); // INVALID_TOPIC_EXCEPTION
    // Known remaining stalls, measured and printed rather than asserted: the decoded 52M-element
    // array (shared elements, 8 bytes a slot) grows by copying its backing store, and a full GC of
    // the ~1.4 GB heap it makes cannot be sliced: 0.4-0.9 s alone, up to ~2.8 s under the suite.
    // What is asserted is that other connections are served at all while it runs.
    assert.ok(run.probes >= 3, `only ${run.probes} concurrent ApiVersions answered while the request ran`);
  } finally {
    probe.close();
    await broker.stop();
    removeDir(broker.dataDir);
  }
});
