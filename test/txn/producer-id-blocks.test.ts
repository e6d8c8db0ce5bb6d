/**
 * Producer ids come from blocks of 1000 committed to the metadata image (nextProducerId, Kafka's
 * ProducerIdsRecord): ids strictly increase across block boundaries (the next block is fetched
 * before the current one runs out) and across restarts, and a data dir written by the file-based
 * allocator (no nextProducerId in the metadata file; `producer-id-block` in the log dir; producer
 * ids in the partitions' producer state) never gets an id it had issued.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LEGACY_PRODUCER_ID_FILE, producerIdBlocks } from '../../src/broker/producer-id-blocks.js';
import { LocalMetadataStore, METADATA_FILE } from '../../src/cluster/metadata-store.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { applyDelta, MetadataDeltaError, type MetadataDelta } from '../../src/metadata/delta.js';
import { MetadataImage } from '../../src/metadata/image.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { ProducerIdManager, PRODUCER_ID_BLOCK_SIZE } from '../../src/txn/producer-id-manager.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) removeDir(d);
});

/** A LocalMetadataStore whose commits resolve after a turn of the event loop. */
function deferred(inner: LocalMetadataStore): MetadataStore {
  return {
    image: () => inner.image(),
    watch: (l) => inner.watch(l),
    commit: (delta: MetadataDelta) =>
      new Promise((resolve, reject) =>
        setImmediate(() => {
          try {
            resolve(inner.commitSync(delta));
          } catch (e) {
            reject(e);
          }
        }),
      ),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a producer-id block is a delta: nextProducerId moves up, never down, and is persisted', () => {
  const image = applyDelta(MetadataImage.empty('c'), { producerIdBlock: { brokerId: 1, firstProducerId: 0n, size: 1000 } });
  assert.equal(image.nextProducerId, 1000n);
  assert.throws(() => applyDelta(image, { producerIdBlock: { brokerId: 1, firstProducerId: 999n, size: 1000 } }), MetadataDeltaError);
  assert.equal(applyDelta(image, { producerIdBlock: { brokerId: 1, firstProducerId: 5000n, size: 1000 } }).nextProducerId, 6000n, 'a block may start higher (upgrade floor)');
  assert.throws(() => applyDelta(image, { producerIdBlock: { brokerId: 1, firstProducerId: 0x7fffffffffffff00n, size: 1000 } }), MetadataDeltaError, 'ids are int64');

  const dir = tempDir('samsa-pid-store-');
  dirs.push(dir);
  const store = LocalMetadataStore.open(dir, () => 'c');
  store.commitSync({ producerIdBlock: { brokerId: 1, firstProducerId: 9_007_199_254_740_000n, size: 1000 } });
  const stored = JSON.parse(readFileSync(join(dir, METADATA_FILE), 'utf8')) as { nextProducerId?: unknown };
  assert.equal(stored.nextProducerId, '9007199254741000', 'a decimal string: exact beyond 2^53');
  assert.equal(LocalMetadataStore.open(dir, () => 'c').image().nextProducerId, 9_007_199_254_741_000n);
});

test('ids strictly increase across block boundaries and across a restart, with the next block fetched before the current one runs out', async () => {
  const dir = tempDir('samsa-pid-blocks-');
  dirs.push(dir);
  let store = LocalMetadataStore.open(dir, () => 'c');
  let ids = new ProducerIdManager(producerIdBlocks(deferred(store), 1, 0n));
  await ids.start();
  const seen: bigint[] = [];
  let waited = 0;
  for (let i = 0; i < 3 * PRODUCER_ID_BLOCK_SIZE + 500; i++) {
    seen.push(ids.generate());
    // A client's requests leave the event loop turns between them: the prefetch lands in time.
    if (i % 50 === 49) {
      await tick();
      waited++;
    }
  }
  assert.ok(waited > 0);
  for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as bigint) > (seen[i - 1] as bigint), `id ${i} increases`);
  assert.equal(seen[0], 0n);
  const last = seen[seen.length - 1] as bigint;
  assert.ok(store.image().nextProducerId > last, 'every id handed out is below the committed nextProducerId');
  assert.equal(store.image().nextProducerId, 4000n, '3500 ids: blocks 0-3 (the fourth prefetched at 90% of the third), none beyond');

  // Without a turn of the event loop the block runs out: COORDINATOR_LOAD_IN_PROGRESS (retriable), then ids again.
  let busy = 0;
  for (let i = 0; i < 2 * PRODUCER_ID_BLOCK_SIZE; i++) {
    try {
      seen.push(ids.generate());
    } catch (e) {
      assert.ok(e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      busy++;
      await tick();
      i--;
    }
  }
  assert.ok(busy >= 1, 'a burst larger than a block waits for the next block');
  for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as bigint) > (seen[i - 1] as bigint));

  // A restart: the rest of the current block is lost, never reused.
  const before = seen[seen.length - 1] as bigint;
  store = LocalMetadataStore.open(dir, () => 'c');
  ids = new ProducerIdManager(producerIdBlocks(deferred(store), 1, 0n));
  await ids.start();
  const after = ids.generate();
  assert.ok(after > before, `${after} > ${before}`);
  assert.equal(after % BigInt(PRODUCER_ID_BLOCK_SIZE), 0n, 'a fresh block');

  // ensureAbove (ids found in the transaction log) skips ahead inside and beyond the block.
  ids.ensureAbove(after + 10n);
  assert.equal(ids.generate(), after + 11n);
  ids.ensureAbove(after + 5000n);
  assert.throws(() => ids.generate(), (e) => e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await tick();
  await tick();
  assert.ok(ids.generate() > after + 5000n);
});

async function initProducerId(port: number, transactionalId: string | null = null): Promise<bigint> {
  const c = await WireClient.connect(port);
  try {
    const r = await c.request<{ errorCode: number; producerId: bigint }>(22, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(r.errorCode, ErrorCode.NONE);
    return r.producerId;
  } finally {
    c.close();
  }
}

async function withBroker<T>(dataDir: string, fn: (b: RunningBroker) => Promise<T>): Promise<T> {
  const b = await startBroker({ port: 0, dataDir, config: { 'transaction.state.log.num.partitions': '1', 'offsets.topic.num.partitions': '1' } });
  try {
    return await fn(b);
  } finally {
    await b.stop();
  }
}

/** Makes the metadata file look like one written before producer-id blocks were in it. */
function dropNextProducerId(dataDir: string): void {
  const path = join(dataDir, METADATA_FILE);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  delete json.nextProducerId;
  writeFileSync(path, JSON.stringify(json));
}

test('a broker restarted from its data dir hands out larger ids (idempotent and transactional)', async () => {
  const dataDir = tempDir('samsa-pid-restart-');
  dirs.push(dataDir);
  const first = await withBroker(dataDir, async (b) => [await initProducerId(b.port), await initProducerId(b.port, 'tx-a')]);
  const second = await withBroker(dataDir, async (b) => [await initProducerId(b.port), await initProducerId(b.port, 'tx-b')]);
  assert.ok((second[0] as bigint) > (first[1] as bigint), `${second[0]} > ${first[1]}`);
  assert.ok((second[1] as bigint) > (second[0] as bigint));
});

test('upgrade: a data dir written by the file-based allocator never gets an id it had issued', async () => {
  // The old allocator's file: ids below 7000 may have been handed out.
  const fileDir = tempDir('samsa-pid-upgrade-file-');
  dirs.push(fileDir);
  await withBroker(fileDir, async () => undefined);
  dropNextProducerId(fileDir);
  writeFileSync(join(fileDir, LEGACY_PRODUCER_ID_FILE), '# Samsa producer id block: ids below this value may have been handed out\nnext.producer.id=7000\n');
  const afterFile = await withBroker(fileDir, (b) => initProducerId(b.port));
  assert.ok(afterFile >= 7000n, `${afterFile} >= 7000`);

  // The file lost, but an idempotent producer's id is in a partition's producer state.
  const stateDir = tempDir('samsa-pid-upgrade-state-');
  dirs.push(stateDir);
  await withBroker(stateDir, async (b) => {
    const c = await WireClient.connect(b.port);
    try {
      assert.equal(await c.createTopic('data', 1), ErrorCode.NONE);
      const r = await c.produce('data', 0, encodeRecordBatch({ producerId: 123_456n, producerEpoch: 0, baseSequence: 0, records: [{ value: Buffer.from('v') }] }));
      assert.equal(r.errorCode, ErrorCode.NONE);
    } finally {
      c.close();
    }
  });
  dropNextProducerId(stateDir);
  const afterState = await withBroker(stateDir, (b) => initProducerId(b.port));
  assert.ok(afterState > 123_456n, `${afterState} > 123456`);

  // A transactional id's producer id in __transaction_state.
  const txnDir = tempDir('samsa-pid-upgrade-txn-');
  dirs.push(txnDir);
  const txnId = await withBroker(txnDir, async (b) => {
    await initProducerId(b.port); // the idempotent id 0, then the transactional one
    return initProducerId(b.port, 'tx');
  });
  dropNextProducerId(txnDir);
  const afterTxn = await withBroker(txnDir, (b) => initProducerId(b.port));
  assert.ok(afterTxn > txnId, `${afterTxn} > ${txnId}`);
});
