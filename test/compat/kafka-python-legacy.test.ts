/**
 * kafka-python 2.0.2 pinned to old brokers produces with the pre-0.11 message formats:
 * `api_version=(0, 10)` sends Produce v2 with magic 1 messages (timestamps), `(0, 9)` Produce v1
 * with magic 0 (no timestamps). Samsa up-converts them; a modern client (kafkajs) reads back the
 * same offsets, keys, values and timestamps; gzip wrappers (the codec kafka-python has here) too;
 * a LogAppendTime topic gets broker timestamps. The broker counts the conversions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/index.js';
import { kafkajsReadBack } from '../helpers/legacy-clients.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { WireClient } from '../helpers/wire.js';

type Started = Awaited<ReturnType<typeof startBroker>>;
let broker: Started;
let bootstrap: string;

before(async () => {
  // The data directory is temporary and removed by stop().
  broker = await startBroker({ port: 0, config: { 'num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } });
  bootstrap = broker.bootstrap;
});

after(async () => {
  await broker?.stop();
});

const PRODUCE = String.raw`
import json, sys
from kafka import KafkaProducer
job = json.load(sys.stdin)
cfg = dict(bootstrap_servers=job['bootstrap'], api_version=tuple(job['api']), acks='all', linger_ms=100)
if job.get('compression'):
    cfg['compression_type'] = job['compression']
p = KafkaProducer(**cfg)
futs = []
for r in job['records']:
    kw = dict(key=r['key'].encode() if r['key'] is not None else None, value=r['value'].encode(), partition=0)
    if r.get('ts') is not None:
        kw['timestamp_ms'] = r['ts']
    futs.append(p.send(job['topic'], **kw))
p.flush()
out = []
for f in futs:
    try:
        md = f.get(timeout=30)
        out.append({'offset': md.offset, 'timestamp': md.timestamp})
    except Exception as e:
        out.append({'error': '%s: %s' % (type(e).__name__, e)})
p.close()
print(json.dumps(out))
`;

interface Sent {
  key: string | null;
  value: string;
  ts?: number;
}

async function produce(topic: string, api: [number, number], records: Sent[], compression?: string): Promise<{ offset?: number; timestamp?: number; error?: string }[]> {
  const r = await runPython(PRODUCE, [], { input: JSON.stringify({ bootstrap, topic, api, records, compression }), timeoutMs: 90_000 });
  return pythonJson(r, `kafka-python api_version=${api.join('.')}`);
}

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<void> {
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic(name, 1, configs), 0);
  } finally {
    c.close();
  }
}

const T0 = 1_700_000_000_000;

function records(prefix: string, n: number, withTs: boolean): Sent[] {
  return Array.from({ length: n }, (_, i) => ({ key: i % 3 === 2 ? null : `${prefix}-k${i}`, value: `${prefix}-v${i}-${'x'.repeat(i % 7)}`, ...(withTs ? { ts: T0 + i * 1000 } : {}) }));
}

for (const [api, magic] of [
  [[0, 10], 1],
  [[0, 9], 0],
] as const) {
  for (const compression of [undefined, 'gzip']) {
    test(`kafka-python api_version=(${api.join(', ')}) (magic ${magic}${compression ? `, ${compression}` : ''}): acknowledged offsets, read back by kafkajs with keys, values and timestamps`, async () => {
      const topic = `kpy-legacy-m${magic}-${compression ?? 'none'}`;
      await createTopic(topic);
      const before = broker.broker.conversions.produceBatches;
      const first = records('a', 30, magic === 1);
      const second = records('b', 20, magic === 1);
      const acks = [...(await produce(topic, [...api], first, compression)), ...(await produce(topic, [...api], second, compression))];
      assert.deepEqual(
        acks.map((a) => a.error ?? a.offset),
        Array.from({ length: 50 }, (_, i) => i),
        'every record acknowledged at its offset',
      );
      const sent = [...first, ...second];
      const read = await kafkajsReadBack(bootstrap, topic, sent.length);
      assert.deepEqual(
        read.map((r) => [r.offset, r.key, r.value]),
        sent.map((s, i) => [i, s.key, s.value]),
      );
      // magic 1 carries the producer's CreateTime; magic 0 has none (-1).
      assert.deepEqual(
        read.map((r) => r.timestamp),
        sent.map((s) => s.ts ?? -1),
      );
      assert.ok(broker.broker.conversions.produceBatches > before, 'conversions are counted');
    });
  }
}

test('kafka-python api_version=(0, 10) to a LogAppendTime topic: records carry the broker time', async () => {
  const topic = 'kpy-legacy-logappend';
  await createTopic(topic, { 'message.timestamp.type': 'LogAppendTime' });
  const start = Date.now();
  const sent = records('c', 10, true);
  const acks = await produce(topic, [0, 10], sent, 'gzip');
  assert.deepEqual(
    acks.map((a) => a.error ?? a.offset),
    Array.from({ length: 10 }, (_, i) => i),
  );
  const read = await kafkajsReadBack(bootstrap, topic, sent.length);
  for (const r of read) assert.ok(r.timestamp >= start && r.timestamp <= Date.now(), `broker time, not the producer's ${T0}: ${r.timestamp}`);
  assert.deepEqual(
    read.map((r) => r.value),
    sent.map((s) => s.value),
  );
});
