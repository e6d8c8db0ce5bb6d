/**
 * EtcdMetadataStore against a real etcd (test/helpers/etcd.ts): the cluster id is created once,
 * commits from two store instances race through the compare-and-swap (the loser re-validates and
 * gets the Kafka error, or succeeds when its delta still fits), a watch delivers another
 * instance's commits once each, in order, with (image, delta, previous), two prefixes in one etcd
 * do not see each other, and a store opened again loads the same image.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdMetadataStore } from '../../src/cluster/etcd/metadata-store.js';
import { EtcdSession } from '../../src/cluster/etcd/session.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { applyDelta, MetadataDeltaError, type MetadataDelta } from '../../src/metadata/delta.js';
import type { MetadataImage, TopicImage } from '../../src/metadata/image.js';
import { useEtcd, imageWhen } from '../helpers/etcd.js';

const fx = useEtcd({ before, after });

function session(prefix: string): EtcdSession {
  const s = new EtcdSession({ endpoints: fx.etcd.endpoints, prefix });
  fx.closeLater(() => s.close());
  return s;
}

async function open(prefix: string, clusterId = 'cluster-' + prefix): Promise<EtcdMetadataStore> {
  const store = await EtcdMetadataStore.open(session(prefix), () => clusterId, { waitTimeoutMs: 10_000 });
  fx.closeLater(() => store.close());
  return store;
}

function topic(name: string, id: string, partitions = 1, configs: Record<string, string> = {}): TopicImage {
  return {
    name,
    topicId: id,
    partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], partitionEpoch: 0 })),
    configs,
    internal: false,
  };
}

const until = (store: EtcdMetadataStore, cond: (i: MetadataImage) => boolean, what: string, ms = 10_000): Promise<MetadataImage> => imageWhen(store, cond, what, ms);

/** The image's durable content, for comparing two images. */
function content(i: MetadataImage): unknown {
  const brokerConfigs: Record<string, unknown> = {};
  for (const r of [...i.brokerConfigResources()].sort()) brokerConfigs[r] = i.brokerConfigs(r);
  return { clusterId: i.clusterId, topics: [...i.topics()].sort((a, b) => a.name.localeCompare(b.name)), brokerConfigs };
}

test('the cluster id is created once: the first store to open sets it, the next ones read it', async () => {
  const prefix = fx.prefix();
  const [a, b] = await Promise.all([open(prefix, 'id-a'), open(prefix, 'id-b')]);
  assert.equal(a.clusterId, b.clusterId);
  assert.ok(['id-a', 'id-b'].includes(a.clusterId));
  const c = await open(prefix, 'id-c');
  assert.equal(c.clusterId, a.clusterId);
});

test('two instances create the same topic at once: exactly one wins, the other gets TOPIC_ALREADY_EXISTS', async () => {
  const prefix = fx.prefix();
  const [a, b] = await Promise.all([open(prefix), open(prefix)]);
  const results = await Promise.allSettled([a.commit({ createdTopics: [topic('t', 'id-a')] }), b.commit({ createdTopics: [topic('t', 'id-b')] })]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1, results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; '));
  assert.equal(lost.length, 1);
  const err = lost[0]?.reason as unknown;
  assert.ok(err instanceof MetadataDeltaError, String(err));
  assert.equal(err.code, ErrorCode.TOPIC_ALREADY_EXISTS);
  const winner = won[0]?.status === 'fulfilled' ? won[0].value.topic('t')?.topicId : undefined;
  const ia = await until(a, (i) => i.topic('t') !== undefined, 'a sees t');
  const ib = await until(b, (i) => i.topic('t') !== undefined, 'b sees t');
  assert.equal(ia.topic('t')?.topicId, winner);
  assert.equal(ib.topic('t')?.topicId, winner);
});

test('concurrent commits of different topics from two instances both succeed (the loser of the compare-and-swap retries on the newer image)', async () => {
  const prefix = fx.prefix();
  const [a, b] = await Promise.all([open(prefix), open(prefix)]);
  const n = 5;
  const commits: Promise<MetadataImage>[] = [];
  for (let k = 0; k < n; k++) {
    commits.push(a.commit({ createdTopics: [topic(`a${k}`, `id-a${k}`)] }));
    commits.push(b.commit({ createdTopics: [topic(`b${k}`, `id-b${k}`)] }));
  }
  const images = await Promise.all(commits);
  const epochs = images.map((i) => i.epoch);
  assert.equal(new Set(epochs).size, 2 * n, `every commit its own revision: ${epochs.join(',')}`);
  const ia = await until(a, (i) => i.topicCount === 2 * n, 'a sees all');
  const ib = await until(b, (i) => i.topicCount === 2 * n, 'b sees all');
  assert.deepEqual(content(ia), content(ib));
});

test("a watch delivers another instance's commits once each, in order, with (image, delta, previous)", async () => {
  const prefix = fx.prefix();
  const [a, b] = await Promise.all([open(prefix), open(prefix)]);
  const seen: { image: MetadataImage; delta: MetadataDelta; previous: MetadataImage }[] = [];
  b.watch((image, delta, previous) => seen.push({ image, delta, previous }));
  const deltas: MetadataDelta[] = [
    { createdTopics: [topic('x', 'id-x', 2, { 'retention.ms': '1000' })] },
    { addedPartitions: [{ topicId: 'id-x', partitions: [{ partition: 2, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }] }] },
    { topicConfigs: [{ topicId: 'id-x', configs: { 'cleanup.policy': 'compact' } }] },
    { brokerConfigs: [{ resourceName: '', configs: { 'log.retention.ms': '5' } }, { resourceName: '1', configs: { 'num.io.threads': '4' } }] },
    { deletedTopics: ['id-x'], createdTopics: [topic('x', 'id-x2')] },
    { brokerConfigs: [{ resourceName: '1', configs: {} }] },
  ];
  const committed: MetadataImage[] = [];
  for (const d of deltas) committed.push(await a.commit(d));
  await until(b, (i) => i.epoch >= (committed.at(-1)?.epoch ?? Infinity), 'b catches up');
  assert.equal(seen.length, deltas.length);
  seen.forEach((s, k) => {
    assert.equal(s.image.epoch, committed[k]?.epoch, `change ${k} in commit order`);
    if (k > 0) assert.equal(s.previous, seen[k - 1]?.image, `previous of change ${k} is the image before it`);
    // The delta a watcher gets turns `previous` into `image`.
    assert.deepEqual(content(applyDelta(s.previous, s.delta)), content(s.image), `delta ${k}`);
    assert.deepEqual(content(s.image), content(committed[k] as MetadataImage));
  });
  const last = b.image();
  assert.equal(last.topic('x')?.topicId, 'id-x2');
  assert.equal(last.topic('x')?.partitions.length, 1);
  assert.deepEqual(last.topic('x')?.configs, {});
  assert.deepEqual(last.brokerConfigs(''), { 'log.retention.ms': '5' });
  assert.deepEqual(last.brokerConfigs('1'), {});
  assert.deepEqual(seen[4]?.delta.deletedTopics, ['id-x']);
  assert.equal(seen[4]?.delta.createdTopics?.[0]?.topicId, 'id-x2');
});

test('a commit that does not fit changes nothing and calls no watcher', async () => {
  const prefix = fx.prefix();
  const a = await open(prefix);
  await a.commit({ createdTopics: [topic('t', 'id-t')] });
  const before = a.image();
  let calls = 0;
  a.watch(() => calls++);
  await assert.rejects(a.commit({ deletedTopics: ['id-nope'] }), (e: unknown) => e instanceof MetadataDeltaError && e.code === ErrorCode.UNKNOWN_TOPIC_ID);
  await assert.rejects(a.commit({ createdTopics: [topic('u', 'id-u')], deletedTopics: ['id-nope'] }), MetadataDeltaError);
  assert.equal(a.image(), before);
  const reopened = await open(prefix);
  assert.deepEqual(content(reopened.image()), content(before));
  assert.equal(calls, 0);
});

test('two prefixes in one etcd do not see each other', async () => {
  const [p1, p2] = [fx.prefix(), fx.prefix()];
  // p2 extends p1 by a character: the '/' after the prefix keeps them apart.
  const a = await open(p1, 'one');
  const b = await open(`${p1}x`, 'two');
  const c = await open(p2, 'three');
  let heard = 0;
  b.watch(() => heard++);
  c.watch(() => heard++);
  await a.commit({ createdTopics: [topic('t', 'id-t')], brokerConfigs: [{ resourceName: '', configs: { a: 'b' } }] });
  await b.commit({ createdTopics: [topic('only-b', 'id-b')] });
  assert.equal(heard, 1, 'b heard only its own commit');
  assert.deepEqual([...a.image().topics()].map((t) => t.name), ['t']);
  assert.deepEqual([...b.image().topics()].map((t) => t.name), ['only-b']);
  assert.equal(c.image().topicCount, 0);
  assert.deepEqual([a.clusterId, b.clusterId, c.clusterId], ['one', 'two', 'three']);
});

test('a store opened again loads the same image', async () => {
  const prefix = fx.prefix();
  const a = await open(prefix);
  await a.commit({ createdTopics: [topic('t1', 'id-1', 3, { 'retention.ms': '7' }), topic('t2', 'id-2')] });
  await a.commit({ brokerConfigs: [{ resourceName: '', configs: { 'log.cleaner.threads': '2' } }] });
  const last = await a.commit({ deletedTopics: ['id-2'] });
  await a.close();
  const b = await open(prefix, 'other-id');
  assert.deepEqual(content(b.image()), content(last));
  assert.ok(b.image().epoch >= last.epoch);
});
