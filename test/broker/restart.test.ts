/**
 * Durability across restarts of a broker process: a producer sends continuously (acks=-1, several
 * requests in flight) while the broker is stopped with SIGTERM or killed with SIGKILL. After each
 * restart every acknowledged record is at its acknowledged offset, offsets are dense (no gaps, no
 * reuse), every served batch passes its CRC, and nothing appears that was never sent. Two producers
 * run at once: our wire client (4 pipelined requests, some gzip/zstd batches) and kafkajs. A torn write
 * at the tail of a segment (as a crash mid-write leaves) is recovered from too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import kafkajs from 'kafkajs';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient, withClient } from '../helpers/wire.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'durable';
const PARTITIONS = 3;

interface Acked {
  partition: number;
  baseOffset: bigint;
  values: string[];
}

interface Ledger {
  acked: Acked[];
  /** Values sent whose acknowledgement never arrived (may or may not be stored). */
  unacked: Set<string>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Produces from `workers` concurrent loops over one connection until `stop()` or the connection dies. */
function startProducer(port: number, round: number, ledger: Ledger, workers = 4): { acked: () => number; stop: () => Promise<number> } {
  let stopped = false;
  let sentBatches = 0;
  const run = async (): Promise<void> => {
    let client: WireClient;
    try {
      client = await WireClient.connect(port);
    } catch {
      return;
    }
    const loops: Promise<void>[] = [];
    for (let w = 0; w < workers; w++) {
      loops.push(
        (async () => {
          for (let seq = 0; !stopped && !client.closed; seq++) {
            const partition = (w + seq) % PARTITIONS;
            const n = 1 + ((seq * 7 + w) % 20);
            const values: string[] = [];
            for (let j = 0; j < n; j++) values.push(`r${round}-w${w}-s${seq}-${j}-${'p'.repeat((seq + j) % 200)}`);
            const compression = seq % 5 === 0 ? CompressionType.gzip : seq % 7 === 0 ? CompressionType.zstd : CompressionType.none;
            const batch = encodeRecordBatch({ records: values.map((v, j) => ({ key: `k${j}`, value: v })), compression });
            for (const v of values) ledger.unacked.add(v);
            try {
              const res = await client.produce(TOPIC, partition, batch, -1);
              if (res.errorCode !== 0) throw new Error(`produce error ${res.errorCode}: ${res.errorMessage}`);
              for (const v of values) ledger.unacked.delete(v);
              ledger.acked.push({ partition, baseOffset: res.baseOffset, values });
              sentBatches++;
            } catch {
              return; // connection closed by the stop/kill: these values stay "unacked"
            }
          }
        })(),
      );
    }
    await Promise.all(loops);
    client.close();
  };
  const done = run();
  return {
    acked: () => sentBatches,
    async stop() {
      stopped = true;
      await done;
      return sentBatches;
    },
  };
}

/** A kafkajs producer (acks=-1, no retries) sending small batches to explicit partitions until stopped or failing. */
function startKafkajsProducer(bootstrap: string, round: number, ledger: Ledger): { acked: () => number; stop: () => Promise<number> } {
  let stopped = false;
  let acked = 0;
  const kafka = new Kafka({ clientId: `samsa-restart-${round}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000, requestTimeout: 3000 });
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  const run = async (): Promise<void> => {
    try {
      await producer.connect();
    } catch {
      return;
    }
    for (let seq = 0; !stopped; seq++) {
      const partition = seq % PARTITIONS;
      const values = Array.from({ length: 1 + (seq % 6) }, (_, j) => `kjs-r${round}-s${seq}-${j}`);
      for (const v of values) ledger.unacked.add(v);
      try {
        const meta = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((v) => ({ partition, value: v })) });
        const m = meta.find((x) => x.partition === partition);
        if (!m || m.errorCode !== 0 || m.baseOffset === undefined) throw new Error('no offset');
        for (const v of values) ledger.unacked.delete(v);
        ledger.acked.push({ partition, baseOffset: BigInt(m.baseOffset), values });
        acked++;
      } catch {
        break;
      }
    }
    await producer.disconnect().catch(() => undefined);
  };
  const done = run();
  return {
    acked: () => acked,
    async stop() {
      stopped = true;
      await done;
      return acked;
    },
  };
}

/** Reads every partition and checks it against the ledger. Returns the high watermarks. */
async function verify(port: number, ledger: Ledger, label: string): Promise<bigint[]> {
  return withClient(port, async (c) => {
    const hws: bigint[] = [];
    const ackedValues = new Set<string>();
    for (const a of ledger.acked) for (const v of a.values) ackedValues.add(v);
    for (let p = 0; p < PARTITIONS; p++) {
      // fetchAll decodes with CRC checks: a corrupt batch throws here.
      const { batches, highWatermark, logStartOffset } = await c.fetchAll(TOPIC, p, 0n);
      assert.equal(logStartOffset, 0n, `${label}: partition ${p} log start`);
      const stored = new Map<bigint, string>();
      let next = 0n;
      for (const b of batches) {
        assert.equal(b.baseOffset, next, `${label}: partition ${p} batches are contiguous (gap or overlap at ${next})`);
        b.records.forEach((r, i) => {
          assert.equal(r.offset, b.baseOffset + BigInt(i), `${label}: partition ${p} record offsets dense`);
          const v = r.value?.toString('utf8') ?? '';
          assert.ok(ackedValues.has(v) || ledger.unacked.has(v), `${label}: partition ${p} offset ${r.offset} holds a value never sent: ${v.slice(0, 60)}`);
          stored.set(r.offset, v);
        });
        next = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
      assert.equal(next, highWatermark, `${label}: partition ${p} high watermark ${highWatermark} vs end of data ${next}`);
      for (const a of ledger.acked) {
        if (a.partition !== p) continue;
        a.values.forEach((v, i) => {
          const off = a.baseOffset + BigInt(i);
          assert.equal(stored.get(off), v, `${label}: acknowledged record at ${TOPIC}-${p}@${off} lost or changed`);
        });
      }
      hws.push(highWatermark);
    }
    // Values seen must not be duplicated at two offsets.
    return hws;
  });
}

function activeSegment(dataDir: string, partition: number): string {
  const dir = join(dataDir, `${TOPIC}-${partition}`);
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  return join(dir, logs[logs.length - 1]!);
}

type Stop = 'SIGKILL' | 'SIGTERM' | 'SIGKILL+torn';

/** Runs produce-then-stop rounds against one data directory, verifying after every restart. */
async function runRounds(rounds: Stop[]): Promise<string[]> {
  const dataDir = tempDir('samsa-restart-');
  const ledger: Ledger = { acked: [], unacked: new Set() };
  let broker: BrokerProcess | null = await startBrokerProcess({ dataDir });
  const figures: string[] = [];
  try {
    const created = await withClient(broker.port, (c) => c.createTopic(TOPIC, PARTITIONS, { 'segment.bytes': 64 * 1024 }));
    assert.equal(created, 0);
    for (let round = 0; round < rounds.length; round++) {
      const how = rounds[round]!;
      const producer = startProducer(broker.port, round, ledger);
      const real = startKafkajsProducer(broker.bootstrap, round, ledger);
      await sleep(500 + round * 100);
      // On a loaded machine the clients may need longer to get going: stop only once both have
      // acknowledged sends in flight (bounded, so a broker that never answers still fails).
      const deadline = Date.now() + 20_000;
      while ((producer.acked() <= 10 || real.acked() <= 3) && Date.now() < deadline) await sleep(50);
      const ackedBefore = ledger.acked.length;
      const t0 = performance.now();
      if (how === 'SIGTERM') {
        const code: number | null = await broker.stop();
        assert.equal(code, 0, `graceful stop exit code\n${broker.output().slice(-2000)}`);
      } else {
        await broker.kill();
      }
      const batches = await producer.stop();
      const kjsSends = await real.stop();
      assert.ok(batches > 10, `round ${round}: the producer was sending (${batches} batches acknowledged)`);
      assert.ok(kjsSends > 3, `round ${round}: the kafkajs producer was sending (${kjsSends} sends acknowledged)`);
      assert.ok(ledger.acked.length >= ackedBefore);
      if (how === 'SIGKILL+torn') {
        // A crash in the middle of a write leaves a partial batch at the end of the active segment.
        const seg = activeSegment(dataDir, 0);
        const sizeBefore = statSync(seg).size;
        const partial = encodeRecordBatch({ records: [{ value: 'torn write never acknowledged' }] }).subarray(0, 40);
        appendFileSync(seg, partial);
        assert.equal(statSync(seg).size, sizeBefore + 40);
      }
      broker = await startBrokerProcess({ dataDir });
      const restartMs = performance.now() - t0;
      const hws = await verify(broker.port, ledger, `after ${how} (round ${round})`);
      figures.push(`${how}: ${batches}+${kjsSends} acked, restart ${restartMs.toFixed(0)} ms, HW ${hws.join('/')}`);
      // New writes continue right after the existing data on every partition.
      await withClient(broker.port, async (c) => {
        for (let p = 0; p < PARTITIONS; p++) {
          const v = `marker-${round}-${p}`;
          const res = await c.produce(TOPIC, p, encodeRecordBatch({ records: [{ value: v }] }));
          assert.equal(res.errorCode, 0);
          assert.equal(res.baseOffset, hws[p], `round ${round}: partition ${p} next offset continues from the high watermark`);
          ledger.acked.push({ partition: p, baseOffset: res.baseOffset, values: [v] });
        }
      });
    }
    await verify(broker.port, ledger, 'final');
    return figures;
  } finally {
    await broker?.kill();
    removeDir(dataDir);
  }
}

test('restart: graceful SIGTERM during produce keeps every acknowledged record; offsets continue densely', async () => {
  const figures = await runRounds(['SIGTERM', 'SIGTERM', 'SIGTERM']);
  console.log(`# SIGTERM rounds: ${figures.join('; ')}`);
});

test('restart: SIGKILL during produce (and a torn tail write) keeps every acknowledged record visible; offsets continue densely', async () => {
  const figures = await runRounds(['SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGKILL+torn', 'SIGKILL']);
  console.log(`# SIGKILL rounds: ${figures.join('; ')}`);
});
