/**
 * The work one metadata commit does must not grow with the number of topics (issue 22 target 6:
 * 100,000 partitions; creating topics one per request was O(topics²)). Measured by counting work,
 * not time: Map/Set insertions while applying a one-topic delta (the image's maps were copied
 * whole), topic lookups of the applier's deletion check (it looked up every topic of the previous
 * image), and the JSON the local store writes per commit as serialized text (it stringified
 * every topic again). Counters wrap the built-ins for the measured call only.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/metadata-store.js';
import { applyDelta, deletedTopics } from '../../src/metadata/delta.js';
import { MetadataImage, type TopicImage } from '../../src/metadata/image.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

const TOPICS = 20_000;
const COMMITS = 50;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) removeDir(d);
});

function topic(i: number): TopicImage {
  return { name: `t-${i}`, topicId: `id-${String(i).padStart(19, '0')}`, partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }], configs: {}, internal: false };
}

/** Runs `fn` with Map.prototype.set and Set.prototype.add counted; returns the count. */
function countInsertions(fn: () => void): number {
  const mapSet = Map.prototype.set;
  const setAdd = Set.prototype.add;
  let count = 0;
  Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
    count++;
    return mapSet.call(this, k, v);
  };
  Set.prototype.add = function (this: Set<unknown>, v: unknown) {
    count++;
    return setAdd.call(this, v);
  };
  try {
    fn();
  } finally {
    Map.prototype.set = mapSet;
    Set.prototype.add = setAdd;
  }
  return count;
}

/** An image of TOPICS topics, made by one delta, then a few one-topic commits (as a broker's would be). */
function bigImage(): { image: MetadataImage; next: number } {
  let image = applyDelta(MetadataImage.empty('c'), { createdTopics: Array.from({ length: TOPICS }, (_, i) => topic(i)) });
  let next = TOPICS;
  for (let i = 0; i < 5; i++) image = applyDelta(image, { createdTopics: [topic(next++)] });
  return { image, next };
}

test(`applying one-topic deltas to an image of ${TOPICS} topics inserts far fewer map entries than there are topics`, () => {
  let { image, next } = bigImage();
  const inserted = countInsertions(() => {
    for (let i = 0; i < COMMITS; i++) image = applyDelta(image, { createdTopics: [topic(next++)] });
  });
  const perCommit = inserted / COMMITS;
  // Copying the maps (by name, by id, by normalized name) was ~3 × TOPICS per commit.
  assert.ok(perCommit < TOPICS / 20, `${perCommit} map/set insertions per one-topic commit on ${TOPICS} topics`);
  // The image is still complete and ordered as a Map: creation order, every topic found by name and id.
  assert.equal(image.topicCount, next);
  let i = 0;
  for (const t of image.topics()) assert.equal(t.name, `t-${i++}`);
  assert.equal(image.topicById(topic(next - 1).topicId)?.name, `t-${next - 1}`);
  assert.equal(image.topic('t-0')?.topicId, topic(0).topicId);
});

test('the deleted topics of a commit are found from its delta, not by looking up every topic', () => {
  const { image } = bigImage();
  const gone = topic(7);
  const delta = { deletedTopics: [gone.topicId] };
  const next = applyDelta(image, delta);
  const lookup = MetadataImage.prototype.topicById;
  let lookups = 0;
  MetadataImage.prototype.topicById = function (this: MetadataImage, id: string) {
    lookups++;
    return lookup.call(this, id);
  };
  let found: TopicImage[];
  try {
    found = deletedTopics(image, next, delta);
  } finally {
    MetadataImage.prototype.topicById = lookup;
  }
  assert.deepEqual(found.map((t) => t.name), ['t-7']);
  assert.ok(lookups < 10, `${lookups} topic lookups to find 1 deleted topic among ${TOPICS}`);
  // Without the delta (any two images), every topic is still compared.
  assert.deepEqual(deletedTopics(image, next).map((t) => t.name), ['t-7']);
});

test(`a one-topic commit of the local store serializes only what changed, not all ${TOPICS} topics`, () => {
  const dir = tempDir('samsa-commit-cost-');
  dirs.push(dir);
  const store = LocalMetadataStore.open(dir, () => 'cid');
  store.commitSync({ createdTopics: Array.from({ length: TOPICS }, (_, i) => topic(i)) });
  let next = TOPICS;
  store.commitSync({ createdTopics: [topic(next++)] });
  const stringify = JSON.stringify;
  let chars = 0;
  JSON.stringify = function (...args: Parameters<typeof JSON.stringify>): string {
    const out = stringify.apply(JSON, args);
    chars += typeof out === 'string' ? out.length : 0;
    return out;
  } as typeof JSON.stringify;
  try {
    for (let i = 0; i < 10; i++) store.commitSync({ createdTopics: [topic(next++)] });
  } finally {
    JSON.stringify = stringify;
  }
  const perCommit = chars / 10;
  // The whole snapshot is ~150 characters per topic: 3 MB at 20,000 topics.
  assert.ok(perCommit < 10_000, `${perCommit} characters serialized per one-topic commit on ${TOPICS} topics`);
  // What is on disk is still the whole image.
  const reopened = LocalMetadataStore.open(dir, () => 'unused').image();
  assert.equal(reopened.topicCount, next);
  assert.deepEqual(reopened.topic(`t-${next - 1}`), store.image().topic(`t-${next - 1}`));
  assert.equal(reopened.epoch, store.image().epoch);
});
