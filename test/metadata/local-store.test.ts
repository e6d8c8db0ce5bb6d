/**
 * The local JSON MetadataStore, without sockets: commits are durable before watchers hear of them,
 * the epoch grows with every commit and survives a restart, watchers are called once per commit in
 * order (also for commits a watcher makes), a failed commit (a delta that does not fit, or a write
 * that fails) changes nothing and calls no watcher, broker registrations are not written, and a
 * snapshot file written by the store before the image existed (no epoch) loads.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalMetadataStore, METADATA_FILE } from '../../src/cluster/metadata-store.js';
import { MetadataDeltaError, type MetadataDelta } from '../../src/metadata/delta.js';
import type { MetadataImage, TopicImage } from '../../src/metadata/image.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) removeDir(d);
});

function freshDir(): string {
  const d = tempDir('samsa-metadata-store-');
  dirs.push(d);
  return d;
}

function topic(name: string, id: string, partitions = 1): TopicImage {
  return {
    name,
    topicId: id,
    partitions: Array.from({ length: partitions }, (_, i) => ({ partition: i, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] })),
    configs: {},
    internal: false,
  };
}

function onDisk(dir: string): { epoch?: number; clusterId: string; topics: { name: string }[]; brokerConfigs?: Record<string, Record<string, string>> } {
  return JSON.parse(readFileSync(join(dir, METADATA_FILE), 'utf8'));
}

test('a new store writes its cluster id at once; commits raise the epoch; a reopened store has the same image', () => {
  const dir = freshDir();
  const store = LocalMetadataStore.open(dir, () => 'cid-1');
  assert.equal(store.image().epoch, 0);
  assert.equal(onDisk(dir).clusterId, 'cid-1');
  store.commitSync({ createdTopics: [topic('a', 'id-a', 2)] });
  store.commitSync({ topicConfigs: [{ topicId: 'id-a', configs: { 'retention.ms': '60000' } }] });
  const last = store.commitSync({ brokerConfigs: [{ resourceName: '', configs: { 'log.cleaner.backoff.ms': '100' } }] });
  assert.equal(last.epoch, 3);
  assert.equal(store.image(), last);
  assert.equal(onDisk(dir).epoch, 3);

  const reopened = LocalMetadataStore.open(dir, () => 'never used');
  const image = reopened.image();
  assert.equal(image.clusterId, 'cid-1');
  assert.equal(image.epoch, 3);
  assert.deepEqual(image.topic('a'), last.topic('a'));
  assert.deepEqual(image.brokerConfigs(''), { 'log.cleaner.backoff.ms': '100' });
  assert.equal(reopened.commitSync({ deletedTopics: ['id-a'] }).epoch, 4);
});

test('watchers: called after the delta is on disk, once per commit, in order, until unwatched', () => {
  const dir = freshDir();
  const store = LocalMetadataStore.open(dir, () => 'cid');
  const seen: { epoch: number; previous: number; delta: MetadataDelta; onDisk: string[] }[] = [];
  const stop = store.watch((image, delta, previous) => {
    assert.equal(store.image(), image, 'the image is published before watchers run');
    seen.push({ epoch: image.epoch, previous: previous.epoch, delta, onDisk: onDisk(dir).topics.map((t) => t.name) });
  });
  const second: number[] = [];
  const stopSecond = store.watch((image) => second.push(image.epoch));
  store.commitSync({ createdTopics: [topic('a', 'id-a')] });
  store.commitSync({ createdTopics: [topic('b', 'id-b')] });
  stopSecond();
  store.commitSync({ deletedTopics: ['id-a'] });
  stop();
  store.commitSync({ createdTopics: [topic('c', 'id-c')] });
  assert.deepEqual(
    seen.map((s) => [s.previous, s.epoch, s.onDisk]),
    [
      [0, 1, ['a']],
      [1, 2, ['a', 'b']],
      [2, 3, ['b']],
    ],
  );
  assert.deepEqual(seen[2]?.delta, { deletedTopics: ['id-a'] });
  assert.deepEqual(second, [1, 2]);
});

test('a commit made by a watcher reaches every watcher after the commit that caused it', () => {
  const store = LocalMetadataStore.open(freshDir(), () => 'cid');
  const order: string[] = [];
  store.watch((image) => {
    order.push(`first:${image.epoch}`);
    if (image.epoch === 1) store.commitSync({ createdTopics: [topic('follow-up', 'id-f')] });
  });
  store.watch((image) => order.push(`second:${image.epoch}`));
  store.commitSync({ createdTopics: [topic('a', 'id-a')] });
  assert.deepEqual(order, ['first:1', 'second:1', 'first:2', 'second:2']);
  assert.equal(store.image().topicCount, 2);
});

test('a failed commit changes nothing and calls no watcher: a delta that does not fit, a write that fails', async () => {
  const dir = freshDir();
  const store = LocalMetadataStore.open(dir, () => 'cid');
  store.commitSync({ createdTopics: [topic('a', 'id-a')] });
  const before = store.image();
  let calls = 0;
  store.watch(() => calls++);
  assert.throws(() => store.commitSync({ createdTopics: [topic('a', 'id-other')] }), MetadataDeltaError);
  await assert.rejects(store.commit({ deletedTopics: ['id-unknown'] }), MetadataDeltaError);
  // The temporary file cannot be opened for writing: a directory is in its place.
  const tmp = join(dir, `${METADATA_FILE}.tmp`);
  mkdirSync(tmp);
  assert.throws(() => store.commitSync({ createdTopics: [topic('b', 'id-b')] }), /EISDIR/);
  rmdirSync(tmp);
  assert.equal(store.image(), before);
  assert.equal(calls, 0);
  assert.deepEqual(onDisk(dir).topics.map((t) => t.name), ['a']);
  // commit() resolves to the new image once it is durable and published.
  const image: MetadataImage = await store.commit({ createdTopics: [topic('b', 'id-b')] });
  assert.equal(image.epoch, before.epoch + 1);
  assert.equal(calls, 1);
});

test('broker registrations are in the image but not written (a broker registers again when it starts)', () => {
  const dir = freshDir();
  const store = LocalMetadataStore.open(dir, () => 'cid');
  const file = join(dir, METADATA_FILE);
  const written = readFileSync(file, 'utf8');
  const mtime = statSync(file).mtimeMs;
  const image = store.commitSync({ registeredBrokers: [{ nodeId: 1, rack: null, endpoints: [{ listenerName: 'PLAINTEXT', host: 'localhost', port: 9092 }] }] });
  assert.equal(image.epoch, 1);
  assert.equal(image.broker(1)?.endpoints[0]?.port, 9092);
  assert.equal(readFileSync(file, 'utf8'), written);
  assert.equal(statSync(file).mtimeMs, mtime);
  assert.equal(LocalMetadataStore.open(dir, () => 'x').image().broker(1), undefined);
});

test('a snapshot written before the image existed (version 1, no epoch) loads, and is rewritten with an epoch', () => {
  const dir = freshDir();
  // Exactly what the store wrote before: no epoch field.
  const old = {
    version: 1,
    clusterId: 'old-cluster',
    topics: [
      { name: 'legacy', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }, { partition: 1, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }], configs: { 'cleanup.policy': 'compact' }, internal: false },
      { name: '__consumer_offsets', topicId: 'BBBBBBBBBBBBBBBBBBBBBB', partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }], configs: {}, internal: true },
    ],
    brokerConfigs: { '1': { 'log.retention.ms': '7000' } },
  };
  writeFileSync(join(dir, METADATA_FILE), JSON.stringify(old));
  const store = LocalMetadataStore.open(dir, () => 'never used');
  const image = store.image();
  assert.equal(image.epoch, 0);
  assert.equal(image.clusterId, 'old-cluster');
  assert.equal(image.topic('legacy')?.partitions.length, 2);
  assert.equal(image.topicById('BBBBBBBBBBBBBBBBBBBBBB')?.internal, true);
  assert.deepEqual(image.topic('legacy')?.configs, { 'cleanup.policy': 'compact' });
  assert.deepEqual(image.brokerConfigs('1'), { 'log.retention.ms': '7000' });
  store.commitSync({ createdTopics: [topic('new', 'id-new')] });
  const rewritten = onDisk(dir);
  assert.equal(rewritten.epoch, 1);
  assert.deepEqual(rewritten.topics.map((t) => t.name), ['legacy', '__consumer_offsets', 'new']);
  assert.deepEqual(rewritten.brokerConfigs, { '1': { 'log.retention.ms': '7000' } });
  assert.ok(existsSync(join(dir, METADATA_FILE)));
});
