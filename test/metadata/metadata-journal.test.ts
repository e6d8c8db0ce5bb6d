/**
 * The local store's journal (src/cluster/metadata-journal.ts): once the snapshot is large, a
 * commit appends its delta instead of rewriting the snapshot (the bytes written per commit follow
 * the delta, not the metadata's size), a reopened store replays the journal to the same image
 * (topics, configs, deletions, producer-id blocks, epoch), a torn last line is cut off, entries the
 * snapshot already holds are skipped, and the journal is folded into a snapshot once it is as
 * large as the snapshot. Small metadata stays in the snapshot alone.
 */
import assert from 'node:assert/strict';
import fs, { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { METADATA_JOURNAL_FILE } from '../../src/cluster/metadata-journal.js';
import { LocalMetadataStore, METADATA_FILE } from '../../src/cluster/metadata-store.js';
import type { MetadataImage, TopicImage } from '../../src/metadata/image.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

/** Enough topics for a snapshot over 1 MiB. */
const TOPICS = 10_000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) removeDir(d);
});

function freshDir(): string {
  const d = tempDir('samsa-metadata-journal-');
  dirs.push(d);
  return d;
}

function topic(i: number): TopicImage {
  return { name: `topic-${i}`, topicId: `id-${String(i).padStart(19, '0')}`, partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }], configs: {}, internal: false };
}

function bigStore(dir: string): { store: LocalMetadataStore } {
  const store = LocalMetadataStore.open(dir, () => 'cid');
  store.commitSync({ createdTopics: Array.from({ length: TOPICS }, (_, i) => topic(i)) });
  assert.ok(statSync(join(dir, METADATA_FILE)).size > 1 << 20);
  return { store };
}

/** Bytes passed to fs.writeSync while `fn` runs (the store's writes of snapshot and journal). */
function bytesWritten(fn: () => void): number {
  const write = fs.writeSync;
  let bytes = 0;
  (fs as { writeSync: unknown }).writeSync = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    return (write as (...a: unknown[]) => number)(fd, data, ...rest);
  };
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    (fs as { writeSync: unknown }).writeSync = write;
    syncBuiltinESMExports();
  }
  return bytes;
}

function sameImage(a: MetadataImage, b: MetadataImage): void {
  assert.equal(a.epoch, b.epoch);
  assert.equal(a.clusterId, b.clusterId);
  assert.equal(a.nextProducerId, b.nextProducerId);
  assert.deepEqual([...a.topics()], [...b.topics()]);
  assert.deepEqual(a.brokerConfigs(''), b.brokerConfigs(''));
}

test(`a one-topic commit on ${TOPICS} topics writes about its delta, and a reopened store has the same image`, () => {
  const dir = freshDir();
  const { store } = bigStore(dir);
  let next = TOPICS;
  const snapshotBefore = readFileSync(join(dir, METADATA_FILE), 'utf8');
  const bytes = bytesWritten(() => {
    for (let i = 0; i < 20; i++) store.commitSync({ createdTopics: [topic(next++)] });
  });
  // The whole snapshot is ~1.5 MB here; a one-topic delta is a few hundred bytes.
  assert.ok(bytes / 20 < 2_000, `${bytes / 20} bytes written per one-topic commit on ${TOPICS} topics`);
  store.commitSync({ topicConfigs: [{ topicId: topic(3).topicId, configs: { 'retention.ms': '1000' } }] });
  store.commitSync({ deletedTopics: [topic(5).topicId] });
  store.commitSync({ producerIdBlock: { brokerId: 1, firstProducerId: 0n, size: 1000 } });
  store.commitSync({ brokerConfigs: [{ resourceName: '', configs: { 'log.retention.ms': '5000' } }] });
  // A broker registration is neither journaled nor snapshotted, but raises the epoch.
  store.commitSync({ registeredBrokers: [{ nodeId: 1, rack: null, endpoints: [{ listenerName: 'PLAINTEXT', host: 'h', port: 1 }] }] });
  store.commitSync({ createdTopics: [topic(next++)] });
  assert.equal(readFileSync(join(dir, METADATA_FILE), 'utf8'), snapshotBefore);
  assert.ok(existsSync(join(dir, METADATA_JOURNAL_FILE)));
  const reopened = LocalMetadataStore.open(dir, () => 'unused').image();
  sameImage(reopened, store.image());
  assert.equal(reopened.topic('topic-5'), undefined);
  assert.deepEqual(reopened.topic('topic-3')?.configs, { 'retention.ms': '1000' });
  assert.equal(reopened.nextProducerId, 1000n);
  assert.equal(reopened.broker(1), undefined);
  // Reopened twice (the journal is not consumed by reading it).
  sameImage(LocalMetadataStore.open(dir, () => 'unused').image(), reopened);
});

test('a torn last journal line is cut off; entries the snapshot already holds are skipped', () => {
  const dir = freshDir();
  const { store } = bigStore(dir);
  let next = TOPICS;
  for (let i = 0; i < 3; i++) store.commitSync({ createdTopics: [topic(next++)] });
  const journal = join(dir, METADATA_JOURNAL_FILE);
  const good = readFileSync(journal, 'utf8');
  appendFileSync(journal, '{"epoch":99,"delta":{"createdTopics":[{"na');
  const reopened = LocalMetadataStore.open(dir, () => 'unused');
  sameImage(reopened.image(), store.image());
  assert.equal(readFileSync(journal, 'utf8'), good);
  // The next commit appends after the last whole entry.
  reopened.commitSync({ createdTopics: [topic(next++)] });
  sameImage(LocalMetadataStore.open(dir, () => 'unused').image(), reopened.image());
  // A crash after a snapshot but before the journal was emptied: its entries are not above the
  // snapshot's epoch, so replaying them changes nothing.
  const snapshot = readFileSync(join(dir, METADATA_FILE), 'utf8');
  const stale = readFileSync(journal, 'utf8');
  const full = JSON.parse(snapshot) as { epoch: number; topics: unknown[] };
  full.epoch = reopened.image().epoch;
  full.topics = [...reopened.image().topics()];
  writeFileSync(join(dir, METADATA_FILE), JSON.stringify(full));
  writeFileSync(journal, stale);
  sameImage(LocalMetadataStore.open(dir, () => 'unused').image(), reopened.image());
});

test('the journal is folded into a new snapshot once it is as large as the snapshot; small metadata has no journal', () => {
  const dir = freshDir();
  const { store } = bigStore(dir);
  const snapshotSize = statSync(join(dir, METADATA_FILE)).size;
  const journal = join(dir, METADATA_JOURNAL_FILE);
  // Each commit changes the configs of many topics, so the journal outgrows the snapshot quickly.
  const many = Array.from({ length: 2_000 }, (_, i) => ({ topicId: topic(i).topicId, configs: { 'retention.ms': String(i) } }));
  let folded = false;
  for (let round = 0; round < 40 && !folded; round++) {
    store.commitSync({ topicConfigs: many.map((c) => ({ ...c, configs: { 'retention.ms': `${round}-${c.configs['retention.ms']}` } })) });
    folded = statSync(journal).size === 0;
    assert.ok(statSync(journal).size <= snapshotSize * 1.5);
  }
  assert.ok(folded, 'the journal was never folded into a snapshot');
  sameImage(LocalMetadataStore.open(dir, () => 'unused').image(), store.image());

  const small = freshDir();
  const s = LocalMetadataStore.open(small, () => 'cid');
  s.commitSync({ createdTopics: [topic(1)] });
  assert.equal(existsSync(join(small, METADATA_JOURNAL_FILE)) ? statSync(join(small, METADATA_JOURNAL_FILE)).size : 0, 0);
  assert.deepEqual((JSON.parse(readFileSync(join(small, METADATA_FILE), 'utf8')) as { topics: { name: string }[] }).topics.map((t) => t.name), ['topic-1']);
});
