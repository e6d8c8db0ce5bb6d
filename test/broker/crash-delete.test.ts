/**
 * Crash harness for topic deletion (issue 10 item 8): a broker process is SIGKILLed at random
 * moments while a client keeps creating a topic, producing 100 records to it with acks=all,
 * deleting it and re-creating it (DeleteTopics and CreateTopics pipelined back to back). Every
 * generation of the topic tags its records, and its topic id is taken from CreateTopics.
 * After every restart:
 * - resurrected: a record in the topic that does not belong to the generation whose topic id the
 *   topic now has (a re-created topic holding the deleted one's records), or a topic whose
 *   deletion was acknowledged that exists again with the old id;
 * - orphans: once start-up is done and the `-delete` directories are gone, a partition directory
 *   whose topic (or partition) is not in the metadata, or whose partition.metadata names another
 *   topic id.
 * Both must stay 0. Prints a summary line (rounds, resurrected: 0, orphans: 0).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { crashDataDir, crashSeed, prng } from '../helpers/crash.js';
import { waitFor, WireClient } from '../helpers/wire.js';

const ROUNDS = 20;
const TOPIC = 'crash-del';
const PARTITIONS = 2;
const RECORDS = 100;
const MAX_STARTUP_MS = 10_000;
const TOPIC_ALREADY_EXISTS = 36;

let broker: BrokerProcess | undefined;
const dataDir = crashDataDir('samsa-crash-del-', () => broker);

interface Generation {
  tag: string;
  topicId: string;
  acked: number;
  deleteSent: boolean;
  deleteAcked: boolean;
}

type Phase = 'after-delete-sent' | 'after-create-sent' | 'after-produce';

/** Every directory entry of the data dir that is a directory. */
function dirsIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

function recordedTopicId(partitionDir: string): string | undefined {
  const f = join(partitionDir, 'partition.metadata');
  if (!existsSync(f)) return undefined;
  return /^topic_id:\s*(\S+)$/m.exec(readFileSync(f, 'utf8'))?.[1];
}

it(`${ROUNDS} SIGKILLs during DeleteTopics/CreateTopics: nothing deleted comes back, no orphan directories`, { timeout: 120_000 }, async () => {
  const seed = crashSeed();
  const rand = prng(seed);
  const gens = new Map<string, Generation>(); // by topic id
  let genCount = 0;
  let resurrected = 0;
  let resurrectedTopics = 0;
  let orphans = 0;
  let lost = 0;
  let deletesAcked = 0;
  let maxStartup = 0;
  const phases = new Map<Phase, number>();
  const started = Date.now();

  const verify = async (c: WireClient, round: number): Promise<void> => {
    const md = await c.metadata(null);
    const topics = new Map<string, { id: string; partitions: number }>();
    for (const t of md.topics) topics.set(t.name, { id: t.topicId, partitions: t.partitions.length });
    const cur = topics.get(TOPIC);
    if (cur !== undefined) {
      const gen = gens.get(cur.id);
      if (gen?.deleteAcked === true) {
        resurrectedTopics++;
        console.log(`round ${round} (seed ${seed}): topic ${gen.tag} came back after its deletion was acknowledged`);
      }
      let count = 0;
      for (let p = 0; p < cur.partitions; p++) {
        const { batches } = await c.fetchAll(TOPIC, p, 0n);
        for (const b of batches) {
          for (const r of b.records) {
            count++;
            const tag = r.value!.toString().split('-')[0];
            if (gen === undefined || tag !== gen.tag) {
              resurrected++;
              if (resurrected <= 3) console.log(`round ${round} (seed ${seed}): record ${r.value!.toString()} in ${TOPIC} (topic id ${cur.id} = ${gen?.tag ?? 'unknown generation'})`);
            }
          }
        }
      }
      // A generation whose deletion was never sent keeps everything acknowledged.
      if (gen !== undefined && !gen.deleteSent && count < gen.acked) lost += gen.acked - count;
    }
    // Directories being deleted are removed in the background after start-up.
    await waitFor(() => dirsIn(dataDir).every((d) => !d.endsWith('-delete')), 10_000, '-delete directories to be removed');
    for (const d of dirsIn(dataDir)) {
      const m = /^(.+)-(\d+)$/.exec(d);
      if (m === null) continue;
      const t = topics.get(m[1] as string);
      const recorded = recordedTopicId(join(dataDir, d));
      if (t === undefined || Number(m[2]) >= t.partitions || (recorded !== undefined && recorded !== t.id)) {
        orphans++;
        console.log(`round ${round} (seed ${seed}): orphan directory ${d} (recorded topic id ${recorded ?? 'none'}, metadata ${t?.id ?? 'no such topic'})`);
      }
    }
  };

  for (let round = 0; round < ROUNDS; round++) {
    const t0 = Date.now();
    broker = await startBrokerProcess({ dataDir });
    const startup = Date.now() - t0;
    maxStartup = Math.max(maxStartup, startup);
    assert.ok(startup < MAX_STARTUP_MS, `round ${round} (seed ${seed}): broker took ${startup} ms to start`);
    const c = await WireClient.connect(broker.port);
    await verify(c, round);

    // ---- create / produce / delete + re-create until the kill
    const b = broker;
    const killCycle = Math.floor(rand() * 3);
    const phase: Phase = (['after-delete-sent', 'after-create-sent', 'after-produce'] as const)[Math.floor(rand() * 3)] as Phase;
    const killDelayMs = Math.floor(rand() * 6);
    let killed: Promise<void> | undefined;
    const maybeKill = (cycle: number, at: Phase): void => {
      if (killed !== undefined || cycle !== killCycle || at !== phase) return;
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
      killed = new Promise((r) => setTimeout(r, killDelayMs)).then(() => b.kill());
    };
    const create = async (): Promise<Generation | null> => {
      const tag = `g${genCount++}`;
      const res = await c.request(19, 7, {
        topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      const t = res.topics[0];
      if (t.errorCode === TOPIC_ALREADY_EXISTS) return null;
      assert.equal(t.errorCode, 0, `round ${round}: CreateTopics error ${t.errorCode}`);
      const gen: Generation = { tag, topicId: t.topicId, acked: 0, deleteSent: false, deleteAcked: false };
      gens.set(gen.topicId, gen);
      return gen;
    };
    const produce = async (gen: Generation): Promise<void> => {
      for (let i = 0; i < RECORDS; i += 10) {
        const records = Array.from({ length: 10 }, (_, j) => ({ key: `k${i + j}`, value: `${gen.tag}-${i + j}` }));
        const res = await c.produce(TOPIC, (i / 10) % PARTITIONS, encodeRecordBatch({ records }), -1);
        assert.equal(res.errorCode, 0, `round ${round}: produce error ${res.errorCode}`);
        gen.acked += records.length;
      }
    };
    /** Sends DeleteTopics at once (so a CreateTopics sent right after is processed after it). */
    const deleteTopic = async (gen: Generation | undefined): Promise<void> => {
      if (gen !== undefined) gen.deleteSent = true;
      const res = await c.request(20, 4, { topicNames: [TOPIC], timeoutMs: 10_000 });
      if (res.responses[0].errorCode === 0 && gen !== undefined) {
        gen.deleteAcked = true;
        deletesAcked++;
      }
    };
    try {
      let gen = await create();
      if (gen === null) {
        const md = await c.metadata([TOPIC]); // left over from the previous round
        await deleteTopic(gens.get(md.topics[0].topicId));
        gen = await create();
      }
      for (let cycle = 0; gen !== null; cycle++) {
        await produce(gen);
        maybeKill(cycle, 'after-produce');
        // DeleteTopics and the re-creating CreateTopics back to back, as a tool recreating a topic does.
        const deleting = deleteTopic(gen);
        maybeKill(cycle, 'after-delete-sent');
        const creating = create();
        maybeKill(cycle, 'after-create-sent');
        const [deleted, created] = await Promise.allSettled([deleting, creating]);
        if (deleted.status === 'rejected') throw deleted.reason;
        if (created.status === 'rejected') throw created.reason;
        gen = created.value;
      }
    } catch (e) {
      // The connection dies with the broker; anything before the kill is a failure.
      if (killed === undefined) throw e;
    }
    await (killed ?? b.kill());
    c.close();
    broker = undefined;
  }

  broker = await startBrokerProcess({ dataDir });
  const c = await WireClient.connect(broker.port);
  await verify(c, ROUNDS);
  c.close();
  console.log(
    `crash-delete harness (seed ${seed}): ${ROUNDS} rounds, ${genCount} topic generations, ${deletesAcked} deletions acknowledged, ` +
      `kills ${[...phases].map(([p, n]) => `${p} ${n}`).join(', ')}, max startup ${maxStartup} ms, ${Date.now() - started} ms, ` +
      `resurrected: ${resurrected} records + ${resurrectedTopics} topics, orphans: ${orphans}, lost: ${lost}`,
  );
  assert.equal(resurrected, 0, 'records of a deleted topic came back');
  assert.equal(resurrectedTopics, 0, 'a deleted topic came back');
  assert.equal(orphans, 0, 'orphan directories');
  assert.equal(lost, 0, 'acknowledged records lost');
});
