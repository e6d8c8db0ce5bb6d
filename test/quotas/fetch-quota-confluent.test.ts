/**
 * Fetch quota: a confluent-kafka consumer (client.id `slow-reader`, principal User:ANONYMOUS) under a
 * consumer_byte_rate quota of the (user, client id) entity reads at the quota, measured over 10 s
 * once the rate window is past its first burst (quota.window.num=2, quota.window.size.seconds=1); librdkafka reports the broker's throttle_time_ms.
 * Another consumer (client id `fast-reader`) reading at the same time is not throttled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopicWithQuota, MEASURE_S, runQuotaScript, useQuotaBroker, WARM_S } from './quota-confluent-helpers.js';

const QUOTA = 200_000;

const quotaBroker = useQuotaBroker({ before, after });

const SCRIPT = String.raw`
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING
# 8 MB in batches of 10 records of 1000 bytes (a fetch answers whole batches).
p = Producer({'bootstrap.servers': bs, 'client.id': 'filler', 'linger.ms': 5, 'batch.num.messages': 10,
              'error_cb': lambda e: errors.append('producer: ' + str(e))})
for i in range(8000):
    while True:
        try:
            p.produce(topic, value=b'y' * 1000)
            break
        except BufferError:
            p.poll(0.1)
    p.poll(0)
if p.flush(60):
    raise SystemExit('filler records not delivered')
def consumer(cid):
    c = Consumer({'bootstrap.servers': bs, 'client.id': cid, 'group.id': cid, 'enable.auto.commit': False,
                  'max.partition.fetch.bytes': 20000, 'fetch.max.bytes': 20000, 'message.max.bytes': 20000,
                  'statistics.interval.ms': 500, 'stats_cb': stats_cb(cid),
                  'error_cb': lambda e: errors.append(cid + ': ' + str(e))})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    return c
slow = consumer('slow-reader')
got = []
start = time.time()
fast_result = None
while time.time() < start + warm + measure:
    m = slow.poll(0.05)
    if m is not None and m.error() is None:
        got.append((time.time(), len(m.value())))
    elif m is not None:
        errors.append('poll: ' + str(m.error()))
    if fast_result is None and time.time() > start + warm + 2:
        fast = consumer('fast-reader')
        t0 = time.time()
        n = 0
        while n < 2000 and time.time() < t0 + 30:
            f = fast.poll(0.1)
            if f is not None and f.error() is None:
                n += 1
        fast_result = {'seconds': time.time() - t0, 'records': n}
        fast.poll(0.6)
        fast.close()
        fast_result['closedAfter'] = time.time() - start
lo, hi = start + warm, start + warm + measure
measured = sum(n for (t, n) in got if lo <= t < hi)
slow.poll(0.6)
slow.close()
print(json.dumps({'measuredBytes': measured, 'warmBytes': sum(n for (t, n) in got if t < lo), 'total': len(got), 'perSecond': [sum(n for (t, n) in got if start + i <= t < start + i + 1) for i in range(int(warm + measure))],
                  'fast': fast_result, 'throttleMax': {k: max(v or [0]) for k, v in throttles.items()}, 'errors': errors}))
`;

test('a confluent-kafka consumer over consumer_byte_rate reads at the quota; another client id is not throttled', { timeout: 180_000 }, async () => {
  const broker = quotaBroker();
  const topic = 'quota-fetch';
  await createTopicWithQuota(broker.port, topic, [{ entityType: 'user', entityName: 'ANONYMOUS' }, { entityType: 'client-id', entityName: 'slow-reader' }], 'consumer_byte_rate', QUOTA);
  const out = await runQuotaScript<{ measuredBytes: number; warmBytes: number; total: number; perSecond: number[]; fast: { seconds: number; records: number } | null; throttleMax: Record<string, number>; errors: string[] }>(SCRIPT, broker, topic, ['slow-reader', 'fast-reader'], 'quota consumer');
  const rate = out.measuredBytes / MEASURE_S;
  const fastRate = out.fast === null ? 0 : (out.fast.records * 1000) / out.fast.seconds;
  console.log(
    `fetch quota ${QUOTA} B/s: achieved ${rate.toFixed(0)} B/s of record values over ${MEASURE_S} s (${((rate / QUOTA - 1) * 100).toFixed(1)}%), ` +
      `${out.warmBytes} B in the first ${WARM_S} s; librdkafka throttle max ${out.throttleMax['slow-reader']} ms; ` +
      `other consumer ${fastRate.toFixed(0)} B/s (${out.fast?.records ?? 0} records in ${out.fast?.seconds.toFixed(2) ?? '?'} s), throttle max ${out.throttleMax['fast-reader']} ms`,
  );
  console.log(`slow-reader bytes per second: ${out.perSecond.join(' ')}`);
  assert.deepEqual(out.errors, []);
  assert.ok(out.total < 8000, 'the throttled consumer did not read everything');
  assert.ok(Math.abs(rate - QUOTA) <= QUOTA * 0.1, `achieved ${rate} B/s, quota ${QUOTA} B/s`);
  assert.ok((out.throttleMax['slow-reader'] ?? 0) > 0, 'librdkafka saw throttle_time_ms from the broker');
  assert.equal(out.fast?.records, 2000);
  assert.equal(out.throttleMax['fast-reader'], 0, 'the other client id was never throttled');
  assert.ok(fastRate > QUOTA * 3, `the other consumer read at ${fastRate} B/s`);
});
