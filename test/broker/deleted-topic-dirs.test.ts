/**
 * Issue 10 item 8, deterministically: a partition directory never comes back as the log of
 * another incarnation of its topic. Every partition directory records its topic id
 * (partition.metadata); at start-up a directory whose id differs from the metadata's (a deleted
 * topic's leftover, as a crash in the old deletion order left them) or whose topic is not in the
 * metadata at all is removed, not loaded; `-delete` directories are removed.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { waitFor, withClient } from '../helpers/wire.js';

const dataDir = tempDir('samsa-deleted-dirs-');
const aside = tempDir('samsa-deleted-aside-');
after(() => {
  removeDir(dataDir);
  removeDir(aside);
});

it("a deleted topic's directory is not loaded by its re-created namesake, nor kept when its topic is gone", { timeout: 30_000 }, async () => {
  let b = await startBroker({ port: 0, dataDir });
  let oldId = '';
  await withClient(b.port, async (c) => {
    assert.equal(await c.createTopic('reborn', 1), 0);
    assert.equal(await c.createTopic('gone', 1), 0);
    for (const t of ['reborn', 'gone']) assert.equal((await c.produce(t, 0, encodeRecordBatch({ records: [{ key: 'k', value: 'old' }] }), -1)).errorCode, 0);
    oldId = (await c.metadata(['reborn'])).topics[0].topicId;
  });
  assert.equal(readFileSync(join(dataDir, 'reborn-0', 'partition.metadata'), 'utf8'), `version: 0\ntopic_id: ${oldId}\n`);
  await b.stop();
  // Keep copies of the old directories, as a crash before their rename used to leave them.
  cpSync(join(dataDir, 'reborn-0'), join(aside, 'reborn-0'), { recursive: true });
  cpSync(join(dataDir, 'gone-0'), join(aside, 'gone-0'), { recursive: true });

  b = await startBroker({ port: 0, dataDir });
  await withClient(b.port, async (c) => {
    const del = await c.request(20, 4, { topicNames: ['reborn', 'gone'], timeoutMs: 5000 });
    assert.deepEqual(del.responses.map((r: { errorCode: number }) => r.errorCode), [0, 0]);
    assert.equal(await c.createTopic('reborn', 1), 0);
    const newId = (await c.metadata(['reborn'])).topics[0].topicId;
    assert.notEqual(newId, oldId, 're-creating a topic gives it a new id');
  });
  await b.stop();
  rmSync(join(dataDir, 'reborn-0'), { recursive: true });
  cpSync(join(aside, 'reborn-0'), join(dataDir, 'reborn-0'), { recursive: true });
  cpSync(join(aside, 'gone-0'), join(dataDir, 'gone-0'), { recursive: true });
  mkdirSync(join(dataDir, `gone-0.${'a'.repeat(32)}-delete`));

  b = await startBroker({ port: 0, dataDir });
  try {
    await withClient(b.port, async (c) => {
      const { batches, highWatermark } = await c.fetchAll('reborn', 0, 0n);
      assert.equal(highWatermark, 0n, 'the re-created topic holds none of the deleted one\'s records');
      assert.equal(batches.length, 0);
      assert.equal((await c.metadata(['gone'])).topics[0].errorCode, 3);
    });
    assert.ok(!existsSync(join(dataDir, 'gone-0')), 'the directory of a topic not in the metadata is not kept');
    await waitFor(() => readdirSync(dataDir).every((d) => !d.endsWith('-delete')), 5000, '-delete directories to be removed');
  } finally {
    await b.stop();
  }
});
