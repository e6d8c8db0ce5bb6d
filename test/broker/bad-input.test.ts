/**
 * Malformed and hostile input over raw TCP against a broker process. For every input the broker
 * either answers (with an error code where one applies) or closes that connection; it never
 * crashes or wedges, a separate healthy connection keeps working (ApiVersions + Metadata), and its
 * memory stays bounded.
 */
import { ErrorCode } from '../../src/common/error-codes.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { apiCodecs } from '../../src/protocol/generated/registry.js';
import { decodeApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { prng, rssKiB } from '../helpers/compat.js';
import { API, WireClient, withClient } from '../helpers/wire.js';

const MAX_REQUEST = 1024 * 1024;
const CORRUPT_MESSAGE = 2;
const UNSUPPORTED_VERSION = 35;
const TOPIC = 'bad-input';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'socket.request.max.bytes': MAX_REQUEST } });
  await withClient(broker.port, async (c) => assert.equal(await c.createTopic(TOPIC, 2), 0));
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

/** The broker process is alive and a fresh connection gets ApiVersions and Metadata answered. */
async function assertHealthy(label: string): Promise<void> {
  assert.equal(broker.child.exitCode, null, `${label}: broker exited\n${broker.output().slice(-3000)}`);
  assert.equal(broker.child.signalCode, null, `${label}: broker killed by ${broker.child.signalCode}`);
  await withClient(broker.port, async (c) => {
    const av = await c.apiVersions(3);
    assert.equal(av.errorCode, 0, `${label}: ApiVersions`);
    assert.ok(av.apiKeys.length > 5, `${label}: ApiVersions lists APIs`);
    const md = await c.metadata(null);
    assert.equal(md.brokers.length, 1, `${label}: Metadata brokers`);
    assert.ok(md.topics.some((t: { name: string }) => t.name === TOPIC), `${label}: Metadata topics`);
  });
}

function withSize(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Request header v1 (non-flexible) or v2 (flexible: + empty tagged fields). */
function header(apiKey: number, version: number, correlationId: number, flexible = false, clientId: string | null = 'bad'): Buffer {
  const cid = clientId === null ? Buffer.alloc(0) : Buffer.from(clientId);
  const h = Buffer.alloc(10 + cid.length + (flexible ? 1 : 0));
  h.writeInt16BE(apiKey, 0);
  h.writeInt16BE(version, 2);
  h.writeInt32BE(correlationId, 4);
  h.writeInt16BE(clientId === null ? -1 : cid.length, 8);
  cid.copy(h, 10);
  return h;
}

const PROBE_BASE = 0x7f000000;
let probeSeq = 0;

type Outcome = 'answered' | 'closed' | 'hang';

/**
 * Writes `raw` and then a valid ApiVersions probe on the same connection: requests are answered in
 * order, so the probe's answer means the broker processed (or deliberately ignored) the input and
 * the connection is still usable; otherwise the connection must be closed. Neither = wedged.
 */
async function probeAfter(c: WireClient, raw: Buffer, timeoutMs = 5000): Promise<Outcome> {
  c.writeRaw(raw);
  const corr = PROBE_BASE + probeSeq++;
  const probe = WireClient.encodeRequest(API.ApiVersions, 0, {}, corr);
  try {
    await c.sendFrame(corr, probe, timeoutMs);
    return 'answered';
  } catch (e) {
    if (c.closed) return 'closed';
    return (await c.waitClosed(500)) ? 'closed' : 'hang';
  }
}

/** Sends one frame expecting the answer with `correlationId`; returns the payload, or null if the broker closed. */
async function answerOrClose(c: WireClient, frame: Buffer, correlationId: number): Promise<Buffer | null> {
  try {
    return await c.sendFrame(correlationId, frame, 5000);
  } catch (e) {
    if (c.closed || (await c.waitClosed(500))) return null;
    throw e;
  }
}

test('unknown API keys and unsupported versions: error answer or closed connection', async () => {
  const cases: [string, Buffer, number][] = [
    ['unknown API key 999', Buffer.concat([header(999, 0, 11), Buffer.alloc(8)]), 11],
    ['negative API key', Buffer.concat([header(-3, 0, 12), Buffer.alloc(8)]), 12],
    ['unimplemented API 10 (FindCoordinator)', Buffer.concat([header(10, 0, 13), Buffer.from([0, 1, 0x67])]), 13],
    ['Metadata v99', Buffer.concat([header(3, 99, 14, true), Buffer.from([1, 0, 0])]), 14],
    ['Produce v-1', Buffer.concat([header(0, -1, 15), Buffer.alloc(12)]), 15],
    ['Fetch v32767', Buffer.concat([header(1, 32767, 16, true), Buffer.alloc(40)]), 16],
  ];
  for (const [label, body, corr] of cases) {
    const c = await WireClient.connect(broker.port);
    try {
      const res = await answerOrClose(c, withSize(body), corr);
      if (res !== null) {
        // An answer must carry an error: at least one non-zero int16 after the correlation id.
        assert.ok(res.length >= 6, `${label}: answer too short`);
        assert.ok(res.subarray(4).some((b) => b !== 0), `${label}: answer carries no error`);
      }
    } finally {
      c.close();
    }
    await assertHealthy(label);
  }
});

test('ApiVersions v99 gets a v0-shaped UNSUPPORTED_VERSION answer listing the APIs, and the connection stays usable', async () => {
  await withClient(broker.port, async (c) => {
    // What a newer client sends: flexible header and v3+ body (client software name and version).
    const body = Buffer.concat([header(18, 99, 4242, true, 'future-client'), Buffer.from([7, ...Buffer.from('future'), 4, ...Buffer.from('9.9'), 0])]);
    const res = await c.sendFrame(4242, withSize(body), 5000);
    const r = new Reader(res);
    assert.equal(r.readInt32(), 4242, 'correlation id');
    const av = decodeApiVersionsResponse(r, 0);
    assert.equal(r.remaining(), 0, 'exactly a v0 response body (no tagged fields, no throttle time)');
    assert.equal(av.errorCode, UNSUPPORTED_VERSION);
    const keys = new Map(av.apiKeys.map((k) => [k.apiKey, k]));
    for (const k of [0, 1, 2, 3, 18]) assert.ok(keys.has(k), `API ${k} listed`);
    assert.ok(keys.get(18)!.maxVersion >= 3, 'ApiVersions max version');
    // The client retries with a version both support, on the same connection.
    const ok = await c.apiVersions(3);
    assert.equal(ok.errorCode, 0);
  });
  await assertHealthy('ApiVersions v99');
});

test('frame-level garbage: oversized, negative and truncated frames', async () => {
  // Size prefix above socket.request.max.bytes: the connection is closed without waiting for the body.
  for (const size of [MAX_REQUEST + 1, 0x7fffffff, -1, -0x80000000]) {
    const c = await WireClient.connect(broker.port);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    c.writeRaw(prefix);
    assert.ok(await c.waitClosed(3000), `size prefix ${size}: connection closed`);
    c.close();
  }
  // A frame at exactly the limit is read (and rejected as garbage, or answered).
  {
    const c = await WireClient.connect(broker.port);
    const body = Buffer.concat([header(3, 1, 77), Buffer.alloc(MAX_REQUEST - 13, 0xee)]);
    assert.equal(body.length, MAX_REQUEST);
    const out = await probeAfter(c, withSize(body));
    assert.notEqual(out, 'hang');
    c.close();
  }
  // Frames too short to hold a request header.
  for (const len of [0, 1, 3, 7, 9]) {
    const c = await WireClient.connect(broker.port);
    const out = await probeAfter(c, withSize(Buffer.alloc(len, 0x01)));
    assert.notEqual(out, 'hang', `frame of ${len} bytes`);
    c.close();
  }
  // Size prefix promising more than is sent, then the client goes away (half-close and reset).
  for (const mode of ['end', 'destroy'] as const) {
    await new Promise<void>((resolve, reject) => {
      const s = connect({ port: broker.port, host: '127.0.0.1' }, () => {
        const frame = withSize(Buffer.concat([header(3, 1, 5), Buffer.alloc(100)]));
        s.write(frame.subarray(0, 30), () => {
          if (mode === 'end') s.end();
          else s.destroy();
          resolve();
        });
      });
      s.on('error', reject);
      s.on('close', () => resolve());
    });
  }
  // A frame split into one-byte writes still works.
  {
    const c = await WireClient.connect(broker.port);
    const frame = WireClient.encodeRequest(API.Metadata, 1, { topics: [{ name: TOPIC }] }, 909);
    const answered = c.sendFrame(909, Buffer.alloc(0), 5000);
    for (const byte of frame) {
      c.writeRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const res = await answered;
    assert.equal(res.readInt32BE(0), 909);
    c.close();
  }
  await assertHealthy('frame garbage');
});

test('negative and absurd lengths inside requests', async () => {
  const i32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n, 0);
    return b;
  };
  const i16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n, 0);
    return b;
  };
  const cases: [string, Buffer][] = [
    ['Metadata v1 topics array length -5', Buffer.concat([header(3, 1, 1), i32(-5)])],
    ['Metadata v1 topics array length 2^31-1 without data', Buffer.concat([header(3, 1, 1), i32(0x7fffffff)])],
    ['Metadata v1 topic name length -7', Buffer.concat([header(3, 1, 1), i32(1), i16(-7)])],
    ['Metadata v1 topic name length 30000 (short data)', Buffer.concat([header(3, 1, 1), i32(1), i16(30000), Buffer.from('abc')])],
    ['client id length -2', Buffer.concat([header(3, 1, 1, false, null).subarray(0, 8), i16(-2), i32(0)])],
    ['client id length 32767 (short data)', Buffer.concat([header(3, 1, 1, false, null).subarray(0, 8), i16(32767), Buffer.from('x')])],
    ['Metadata v12 compact array length varint 2^35', Buffer.concat([header(3, 12, 1, true), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), Buffer.from([0, 0])])],
    ['Metadata v12 overlong varint', Buffer.concat([header(3, 12, 1, true), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), Buffer.from([0, 0])])],
    ['Produce v3 records length -3', Buffer.concat([header(0, 3, 1), i16(-1), i16(-1), i32(1000), i32(1), i16(TOPIC.length), Buffer.from(TOPIC), i32(1), i32(0), i32(-3)])],
    ['Produce v3 records length 2^31-1 (short data)', Buffer.concat([header(0, 3, 1), i16(-1), i16(-1), i32(1000), i32(1), i16(TOPIC.length), Buffer.from(TOPIC), i32(1), i32(0), i32(0x7fffffff), Buffer.alloc(20)])],
    ['Produce v3 partitions array length -100', Buffer.concat([header(0, 3, 1), i16(-1), i16(-1), i32(1000), i32(1), i16(TOPIC.length), Buffer.from(TOPIC), i32(-100)])],
    ['Produce v9 tagged field of size 2^31', Buffer.concat([header(0, 9, 1, true), Buffer.from([0]), i16(-1), i32(1000), Buffer.from([1]), Buffer.from([1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f])])],
    ['CreateTopics v4 topics length 2^31-1', Buffer.concat([header(19, 4, 1), i32(0x7fffffff)])],
    ['ListOffsets v1 partitions length -9', Buffer.concat([header(2, 1, 1), i32(-1), i32(1), i16(TOPIC.length), Buffer.from(TOPIC), i32(-9)])],
    ['trailing garbage after a valid ApiVersions v0', Buffer.concat([header(18, 0, 1), Buffer.alloc(64, 0xab)])],
  ];
  for (const [label, body] of cases) {
    const c = await WireClient.connect(broker.port);
    try {
      const out = await probeAfter(c, withSize(body));
      assert.notEqual(out, 'hang', label);
    } finally {
      c.close();
    }
  }
  await assertHealthy('negative lengths');
});

test('produce with a bad CRC gets CORRUPT_MESSAGE for that partition only; nothing is appended', async () => {
  await withClient(broker.port, async (c) => {
    const before0 = (await c.listOffset(TOPIC, 0, -1n)).offset;
    const before1 = (await c.listOffset(TOPIC, 1, -1n)).offset;
    for (const compression of [CompressionType.none, CompressionType.gzip]) {
      const good = encodeRecordBatch({ records: [{ key: 'k', value: 'good' }], compression });
      const flippedPayload = encodeRecordBatch({ records: [{ key: 'k', value: 'payload flipped' }], compression });
      flippedPayload[flippedPayload.length - 3] = (flippedPayload[flippedPayload.length - 3]! ^ 0x5a) & 0xff;
      const flippedCrc = encodeRecordBatch({ records: [{ key: 'k', value: 'crc flipped' }], compression });
      flippedCrc.writeUInt32BE((flippedCrc.readUInt32BE(17) ^ 1) >>> 0, 17);
      for (const bad of [flippedPayload, flippedCrc]) {
        const res = await c.request(API.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: bad }, { index: 1, records: good }] }],
        });
        const parts = res.responses[0].partitionResponses as { index: number; errorCode: number }[];
        assert.equal(parts.find((p) => p.index === 0)!.errorCode, CORRUPT_MESSAGE, 'bad CRC partition');
        assert.equal(parts.find((p) => p.index === 1)!.errorCode, 0, 'good partition in the same request');
        // A good batch followed by a bad one in one partition's records: the whole set is rejected
        // (Produce v3+ allows exactly one batch per partition, so Kafka answers INVALID_RECORD).
        const r2 = await c.produce(TOPIC, 0, Buffer.concat([good, bad]));
        assert.equal(r2.errorCode, ErrorCode.INVALID_RECORD);
      }
    }
    assert.equal((await c.listOffset(TOPIC, 0, -1n)).offset, before0, 'nothing appended to the partition with bad batches');
    assert.equal((await c.listOffset(TOPIC, 1, -1n)).offset, before1 + 4n, 'good batches appended');
    const { batches } = await c.fetchAll(TOPIC, 0);
    assert.ok(batches.every((b) => b.records.every((r) => !/flipped/.test(r.value?.toString() ?? ''))));
  });
  await assertHealthy('bad CRC');
});

/** Valid request frames to mutate (no CreateTopics/CreatePartitions: mutated counts would legitimately create many partitions). */
function corpus(): { apiKey: number; frame: Buffer; protect: number }[] {
  const batch = encodeRecordBatch({ records: [{ key: 'a', value: 'fuzz', headers: [{ key: 'h', value: 'v' }] }, { value: 'second' }] });
  const zbatch = encodeRecordBatch({ records: [{ key: 'z', value: 'zz'.repeat(40) }], compression: CompressionType.gzip });
  const fetchTopic = (v: number) => ({ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 65536 }] });
  const entries: [number, number, unknown][] = [
    [18, 0, {}],
    [18, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }],
    [3, 1, { topics: [{ name: TOPIC }] }],
    [3, 9, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false }],
    [3, 12, { topics: null, allowAutoTopicCreation: false }],
    [0, 3, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] }],
    [0, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: 1, records: zbatch }] }] }],
    [1, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 65536, isolationLevel: 0, topics: [fetchTopic(4)] }],
    [1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 65536, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [fetchTopic(12)], forgottenTopicsData: [], rackId: '' }],
    [2, 1, { replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }],
    [2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -2n }] }] }],
    [32, 4, { resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: null }], includeSynonyms: true, includeDocumentation: true }],
    [35, 4, { topics: null }],
    [60, 0, { includeClusterAuthorizedOperations: false }],
  ];
  return entries
    .filter(([k, v]) => {
      const codec = apiCodecs.get(k);
      return codec !== undefined && v <= codec.maxVersion;
    })
    .map(([apiKey, version, body], i) => {
      const frame = WireClient.encodeRequest(apiKey, version, body, 1000 + i);
      // Fetch: keep the header and replicaId/maxWaitMs/minBytes intact so a mutation cannot turn
      // the request into a legitimate long poll.
      const headerLen = 4 + 10 + 'samsa-test'.length + (version >= (apiCodecs.get(apiKey)!.firstFlexibleVersion) ? 1 : 0);
      return { apiKey, frame, protect: apiKey === 1 ? headerLen + 12 : 4 };
    });
}

function mutate(frame: Buffer, protect: number, rnd: () => number): Buffer {
  const body = Buffer.from(frame.subarray(4));
  const lo = Math.max(0, protect - 4);
  const pos = (): number => lo + Math.floor(rnd() * Math.max(1, body.length - lo));
  let out = body;
  const kind = Math.floor(rnd() * 7);
  switch (kind) {
    case 0: // flip bits
      for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) {
        const p = pos();
        if (p < out.length) out[p] = out[p]! ^ (1 << Math.floor(rnd() * 8));
      }
      break;
    case 1: {
      // interesting int32 / int16 values
      const vals = [0xffffffff, 0x7fffffff, 0x80000000, 0, 0xfffffffe, 0x00010000];
      const p = pos();
      if (p + 4 <= out.length) out.writeUInt32BE(vals[Math.floor(rnd() * vals.length)]!, p);
      else if (p + 2 <= out.length) out.writeUInt16BE(0xffff, p);
      break;
    }
    case 2: // truncate
      out = out.subarray(0, pos());
      break;
    case 3: {
      // insert random bytes
      const p = pos();
      const ins = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256)));
      out = Buffer.concat([out.subarray(0, p), ins, out.subarray(p)]);
      break;
    }
    case 4: {
      // delete a range
      const p = pos();
      out = Buffer.concat([out.subarray(0, p), out.subarray(Math.min(out.length, p + 1 + Math.floor(rnd() * 8)))]);
      break;
    }
    case 5: {
      // duplicate a range
      const p = pos();
      const len = 1 + Math.floor(rnd() * 24);
      out = Buffer.concat([out.subarray(0, p + len), out.subarray(p, p + len), out.subarray(p + len)]);
      break;
    }
    default: // random byte values in a run
      for (let i = 0, p = pos(), n = 1 + Math.floor(rnd() * 10); i < n && p + i < out.length; i++) out[p + i] = Math.floor(rnd() * 256);
  }
  return withSize(out);
}

test('fuzz: thousands of mutated valid frames and random frames; memory stays bounded', async () => {
  const pid = broker.child.pid!;
  await assertHealthy('before fuzz');
  const rssBefore = rssKiB(pid);
  const rnd = prng(20240611);
  const frames = corpus();
  assert.ok(frames.length >= 12, 'corpus built');
  const counts: Record<Outcome, number> = { answered: 0, closed: 0, hang: 0 };
  const hangs: string[] = [];
  const deadline = Date.now() + 50_000;
  let c = await WireClient.connect(broker.port);
  const MUTATED = 3000;
  const RANDOM = 1000;
  let done = 0;
  for (let i = 0; i < MUTATED + RANDOM && Date.now() < deadline; i++) {
    let raw: Buffer;
    let label: string;
    if (i < MUTATED) {
      const base = frames[i % frames.length]!;
      raw = mutate(base.frame, base.protect, rnd);
      label = `mutated API ${base.apiKey} #${i}: ${raw.subarray(0, 48).toString('hex')}`;
    } else {
      // Random frames: random API key and version, random body. Fetch (key 1) is left to the
      // mutations above, where maxWaitMs stays intact (a random one is a legitimate long poll).
      let apiKey = Math.floor(rnd() * 90) - 2;
      if (apiKey === 1) apiKey = 3;
      const body = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      const version = Math.floor(rnd() * 20) - 1;
      raw = withSize(Buffer.concat([header(apiKey, version, 5000 + i, rnd() < 0.5), body]));
      label = `random API ${apiKey} v${version} #${i}`;
    }
    const out = await probeAfter(c, raw, 3000);
    counts[out]++;
    done++;
    if (out === 'hang') hangs.push(label);
    if (out !== 'answered') {
      c.close();
      c = await WireClient.connect(broker.port);
    }
    if (i % 500 === 499) await assertHealthy(`after ${i + 1} fuzz frames`);
  }
  c.close();
  // Pure garbage streams, some starting with plausible size prefixes.
  for (let i = 0; i < 200; i++) {
    const g = await WireClient.connect(broker.port);
    const junk = Buffer.from(Array.from({ length: 4 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
    // Half the streams start with a size prefix that fits what follows; the others keep a random one.
    if (i % 2 === 0 && junk.length >= 12) junk.writeInt32BE(Math.min(junk.length - 4, 8 + Math.floor(rnd() * 64)), 0);
    const claimed = junk.readInt32BE(0);
    if (claimed >= 0 && claimed <= MAX_REQUEST && claimed > junk.length - 4 + 40) {
      // A legal size with the frame still incomplete: the broker rightly waits for the rest.
      g.writeRaw(junk);
      g.close();
      continue;
    }
    const out = await probeAfter(g, junk, 3000);
    if (out === 'hang') hangs.push(`garbage ${junk.subarray(0, 32).toString('hex')}`);
    counts[out]++;
    g.close();
  }
  console.log(`# fuzz: ${done} frames + 200 garbage streams: ${JSON.stringify(counts)}; RSS ${Math.round(rssBefore / 1024)} MiB -> ${Math.round(rssKiB(pid) / 1024)} MiB`);
  assert.ok(done >= 2000, `at least 2000 frames went through in the time bound (${done})`);
  assert.deepEqual(hangs, [], 'inputs that neither got an answer nor a closed connection');
  await assertHealthy('after fuzz');
  const rssAfter = rssKiB(pid);
  assert.ok(rssAfter < rssBefore + 200 * 1024, `broker RSS grew from ${rssBefore} KiB to ${rssAfter} KiB`);
});

/**
 * Kafka refuses more than 10000 partitions per request with POLICY_VIOLATION (44) ("Excessively
 * large number of partitions per request."). The heap cap keeps a broker that tries anyway from
 * eating the machine's memory before it dies.
 */
async function hugePartitionRequest(label: string, send: (c: WireClient) => Promise<number>): Promise<void> {
  const b = await startBrokerProcess({ nodeArgs: ['--max-old-space-size=384'] });
  try {
    await withClient(b.port, async (c) => assert.equal(await c.createTopic('small', 1), 0));
    const t0 = performance.now();
    const code = await withClient(b.port, async (c) => {
      try {
        return await send(c);
      } catch (e) {
        return `no answer: ${(e as Error).message}`;
      }
    });
    const ms = performance.now() - t0;
    // The broker still serves a later request (no fixed wait): whatever the bad one set off has run.
    const alive = await withClient(b.port, async (c) => (await c.apiVersions()).errorCode === 0).catch(() => false);
    const died = !alive || b.child.exitCode !== null || b.child.signalCode !== null;
    assert.ok(!died, `${label}: the broker died (${String(code)}):\n${b.output().slice(-600)}`);
    assert.equal(typeof code, 'number', `${label}: ${String(code)}`);
    assert.notEqual(code, 0, `${label}: the request must be refused`);
    assert.ok(ms < 5000, `${label}: answered in ${ms.toFixed(0)} ms`);
    await withClient(b.port, async (c) => assert.equal((await c.apiVersions()).errorCode, 0));
  } finally {
    await b.kill();
    removeDir(b.dataDir);
  }
}

test('CreateTopics asking for 100 million partitions is refused without taking the broker down', async () => {
  await hugePartitionRequest('CreateTopics numPartitions=1e8', (c) => c.createTopic('huge', 100_000_000));
});

test('CreatePartitions to 100 million partitions is refused without taking the broker down', async () => {
  await hugePartitionRequest('CreatePartitions count=1e8', async (c) => {
    const res = await c.request(37, 3, { topics: [{ name: 'small', count: 100_000_000, assignments: null }], timeoutMs: 5000, validateOnly: false });
    return res.results[0].errorCode as number;
  });
});
