// Byte-level checks against encodings derived by hand from the Kafka wire rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, ProtocolDecodeError } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import {
  ApiKey,
  apiCodecs,
  isFlexible,
  decodeApiVersionsRequest,
  encodeApiVersionsRequest,
  decodeApiVersionsResponse,
  encodeApiVersionsResponse,
  decodeMetadataRequest,
  encodeMetadataRequest,
  decodeProduceRequest,
  encodeProduceRequest,
  decodeFetchResponse,
  encodeFetchResponse,
  decodeOffsetCommitValue,
  encodeOffsetCommitValue,
  decodeDescribeTopicPartitionsRequest,
  encodeDescribeTopicPartitionsRequest,
} from '../../../src/protocol/generated/index.js';
import { readRequestHeader, writeRequestHeader, writeResponseHeader } from '../../../src/protocol/header.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
const encode = (fn: (w: Writer) => void): Buffer => {
  const w = new Writer();
  fn(w);
  return w.toBuffer();
};

test('ApiVersions v3 request with header v2', () => {
  const expected = h(`
    0012 0003 00000007 0007 72646b61666b61 00
    06 73616d7361 04 312e30 00`);
  const bytes = encode((w) => {
    writeRequestHeader(w, { requestApiKey: ApiKey.ApiVersions, requestApiVersion: 3, correlationId: 7, clientId: 'rdkafka' });
    encodeApiVersionsRequest(w, { clientSoftwareName: 'samsa', clientSoftwareVersion: '1.0' }, 3);
  });
  assert.deepEqual(bytes, expected);
  const r = new Reader(expected);
  const hdr = readRequestHeader(r);
  assert.deepEqual(hdr, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'rdkafka', headerVersion: 2 });
  assert.deepEqual(decodeApiVersionsRequest(r, 3), { clientSoftwareName: 'samsa', clientSoftwareVersion: '1.0' });
  assert.equal(r.remaining(), 0);
});

test('ApiVersions v3 response with header v0, without and with tagged fields', () => {
  const body = {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 0, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ],
    throttleTimeMs: 0,
  };
  const expected = h(`
    00000007
    0000 03 | 0000 0000 000b 00 | 0012 0000 0004 00 | 00000000 | 00`);
  const bytes = encode((w) => {
    writeResponseHeader(w, 7, 0);
    encodeApiVersionsResponse(w, body, 3);
  });
  assert.deepEqual(bytes, expected);
  const r = new Reader(expected, 4);
  assert.deepEqual(decodeApiVersionsResponse(r, 3), {
    ...body,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  });

  // SupportedFeatures (tag 0) and FinalizedFeaturesEpoch (tag 1) set: written in tag order.
  const withTags = h(`
    0000 01 | 00000000
    02 | 00 08 02 0278 0001 0002 00 | 01 08 0000000000000003`);
  const bytes2 = encode((w) =>
    encodeApiVersionsResponse(
      w,
      { apiKeys: [], finalizedFeaturesEpoch: 3n, supportedFeatures: [{ name: 'x', minVersion: 1, maxVersion: 2 }] },
      3,
    ),
  );
  assert.deepEqual(bytes2, withTags);
  const d = decodeApiVersionsResponse(new Reader(withTags), 3);
  assert.equal(d.finalizedFeaturesEpoch, 3n);
  assert.deepEqual(d.supportedFeatures, [{ name: 'x', minVersion: 1, maxVersion: 2 }]);
});

test('ApiVersions v0 response (classic encoding, no throttle time)', () => {
  const expected = h('0023 00000001 0012 0000 0002');
  const bytes = encode((w) =>
    encodeApiVersionsResponse(w, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }], throttleTimeMs: 99 }, 0),
  );
  assert.deepEqual(bytes, expected);
});

test('Metadata v1 request: topic list and null (all topics)', () => {
  const expected = h('00000001 0003 666f6f');
  const bytes = encode((w) => encodeMetadataRequest(w, { topics: [{ name: 'foo' }] }, 1));
  assert.deepEqual(bytes, expected);
  assert.deepEqual(decodeMetadataRequest(new Reader(expected), 1), {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'foo' }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  assert.deepEqual(
    encode((w) => encodeMetadataRequest(w, { topics: null }, 1)),
    h('ffffffff'),
  );
  assert.equal(decodeMetadataRequest(new Reader(h('ffffffff')), 1).topics, null);
  // v0 has no nullable topics: null is rejected on encode and decode
  assert.throws(() => encode((w) => encodeMetadataRequest(w, { topics: null }, 0)), TypeError);
  assert.throws(() => decodeMetadataRequest(new Reader(h('ffffffff')), 0), ProtocolDecodeError);
});

test('Produce v3 request', () => {
  const expected = h(`
    ffff ffff 00007530
    00000001 0001 74
    00000001 00000000 00000003 0a0b0c`);
  const msg = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.from([10, 11, 12]) }] }],
  };
  assert.deepEqual(encode((w) => encodeProduceRequest(w, msg, 3)), expected);
  assert.deepEqual(decodeProduceRequest(new Reader(expected), 3), msg);
  // records given as a list of buffers: one length prefix for the total
  const split = encode((w) =>
    encodeProduceRequest(w, { ...msg, topicData: [{ name: 't', partitionData: [{ records: [Buffer.from([10]), Buffer.from([11, 12])] }] }] }, 3),
  );
  assert.deepEqual(split, expected);
});

test('Produce v9 request (flexible: compact strings, arrays, bytes, tagged sections)', () => {
  const expected = h(`
    03 7478 0001 00001388
    02 02 74
    02 00000001 04 0a0b0c 00
    00
    00`);
  const msg = {
    transactionalId: 'tx',
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: 't', partitionData: [{ index: 1, records: Buffer.from([10, 11, 12]) }] }],
  };
  assert.deepEqual(encode((w) => encodeProduceRequest(w, msg, 9)), expected);
  assert.deepEqual(decodeProduceRequest(new Reader(expected), 9), msg);
});

test('Fetch v12 response: tagged struct fields omitted at default, written otherwise', () => {
  const partition = { partitionIndex: 0, highWatermark: 5n, records: null };
  const base = encode((w) => encodeFetchResponse(w, { responses: [{ topic: 'a', partitions: [partition] }] }, 12));
  const expected = h(`
    00000000 0000 00000000
    02 | 02 61
    02 | 00000000 0000 0000000000000005 ffffffffffffffff ffffffffffffffff
    01 ffffffff 00 | 00
    00
    00`);
  assert.deepEqual(base, expected);
  const d = decodeFetchResponse(new Reader(base), 12);
  assert.equal(d.responses[0]?.partitions[0]?.currentLeader.leaderId, -1);
  assert.equal(d.responses[0]?.partitions[0]?.records, null);
  const withLeader = encode((w) =>
    encodeFetchResponse(w, { responses: [{ topic: 'a', partitions: [{ ...partition, currentLeader: { leaderId: 2, leaderEpoch: 5 } }] }] }, 12),
  );
  // one tagged field (tag 1, 9 bytes: two int32 + empty tagged section) instead of none
  assert.equal(withLeader.length, base.length + 1 + 1 + 9);
  const d2 = decodeFetchResponse(new Reader(withLeader), 12);
  assert.deepEqual(d2.responses[0]?.partitions[0]?.currentLeader, { leaderId: 2, leaderEpoch: 5 });
});

test('nullable struct field uses an int8 presence marker', () => {
  const none = encode((w) => encodeDescribeTopicPartitionsRequest(w, { topics: [], responsePartitionLimit: 10, cursor: null }, 0));
  assert.deepEqual(none, h('01 0000000a ff 00'));
  const some = encode((w) =>
    encodeDescribeTopicPartitionsRequest(w, { topics: [], responsePartitionLimit: 10, cursor: { topicName: 'a', partitionIndex: 3 } }, 0),
  );
  assert.deepEqual(some, h('01 0000000a 01 0261 00000003 00 00'));
  assert.deepEqual(decodeDescribeTopicPartitionsRequest(new Reader(some), 0).cursor, { topicName: 'a', partitionIndex: 3 });
});

test('internal record OffsetCommitValue v3 and v4 (flexible)', () => {
  const v = { offset: 100n, leaderEpoch: 4, metadata: 'm', commitTimestamp: 1n, expireTimestamp: 77n };
  const v3 = encode((w) => encodeOffsetCommitValue(w, v, 3));
  assert.deepEqual(v3, h('0000000000000064 00000004 0001 6d 0000000000000001'));
  assert.deepEqual(decodeOffsetCommitValue(new Reader(v3), 3), { ...v, expireTimestamp: -1n });
  const v1 = encode((w) => encodeOffsetCommitValue(w, v, 1));
  assert.deepEqual(v1, h('0000000000000064 0001 6d 0000000000000001 000000000000004d'));
  const v4 = encode((w) => encodeOffsetCommitValue(w, v, 4));
  assert.deepEqual(v4, h('0000000000000064 00000004 02 6d 0000000000000001 00'));
});

test('registry', () => {
  assert.equal(ApiKey.Produce, 0);
  assert.equal(ApiKey.Fetch, 1);
  assert.equal(ApiKey.ApiVersions, 18);
  const produce = apiCodecs.get(0);
  assert.ok(produce);
  assert.equal(produce.name, 'Produce');
  assert.equal(produce.minVersion, 0);
  assert.ok(produce.maxVersion >= 9);
  assert.equal(produce.firstFlexibleVersion, 9);
  assert.equal(isFlexible(0, 8), false);
  assert.equal(isFlexible(0, 9), true);
  assert.equal(isFlexible(9999, 9), false);
  const sasl = apiCodecs.get(ApiKey.SaslHandshake);
  assert.equal(sasl?.firstFlexibleVersion, Infinity);
  assert.equal(apiCodecs.size, Object.keys(ApiKey).length);
  for (const [key, c] of apiCodecs) {
    assert.equal(c.apiKey, key);
    assert.equal((ApiKey as Record<string, number>)[c.name], key);
  }
});

test('decoded values are assignable to the Init types (compile-time) and re-encode identically', () => {
  const bytes = h('00000001 0003 666f6f');
  const decoded = decodeMetadataRequest(new Reader(bytes), 1);
  const init: Parameters<typeof encodeMetadataRequest>[1] = decoded;
  assert.deepEqual(encode((w) => encodeMetadataRequest(w, init, 1)), bytes);
  const pBytes = h('ffff ffff 00007530 00000001 0001 74 00000001 00000000 00000003 0a0b0c');
  const pInit: Parameters<typeof encodeProduceRequest>[1] = decodeProduceRequest(new Reader(pBytes), 3);
  assert.deepEqual(encode((w) => encodeProduceRequest(w, pInit, 3)), pBytes);
});
