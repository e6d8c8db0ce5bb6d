/**
 * Broker fuzz test: mutated real client frames against a broker process.
 *
 * Corpus (test/broker/fuzz/corpus.ts): frames recorded from kafkajs and @platformatic/kafka
 * sessions through a proxy, a sample request for every served API key at every version, and
 * read-only requests naming a known data set. Mutations (fuzz/mutate.ts): bit flips, interesting
 * values, length inflation/deflation, truncation, splicing, duplicated regions, header api
 * key/version changes, absurd counts and lengths, lying size prefixes, and compressed Produce
 * batches with corrupted payloads and valid CRCs. Frames go out over several connections (a
 * connection the broker closes is reopened). After each batch of frames: the broker process is
 * alive, a fresh connection's ApiVersions answers within a liveness bound, its RSS is below a
 * bound; every few batches and at the end the known data set reads back intact.
 *
 * Environment: SAMSA_FUZZ_SEED (default: random, printed), SAMSA_FUZZ_FRAMES (default 20000),
 * SAMSA_FUZZ_SECONDS (time budget, default 60: stops early and reports the frames sent),
 * SAMSA_FUZZ_RSS_MB (default 600). On failure the seed, the reason and the last frames written
 * are saved in the test's temporary directory, which is then kept (its path is printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { logRecords } from '../helpers/log-lines.js';
import { rssKiB } from '../helpers/compat.js';
import { WireClient, waitFor } from '../helpers/wire.js';
import { FuzzConnection, type ConnStats } from './fuzz/connection.js';
import { CORPUS_TOPICS, capPerApiKey, datasetFrames, runClientSessions, sampleFrames, servedApis } from './fuzz/corpus.js';
import { checkDataset, writeDataset, type Dataset } from './fuzz/dataset.js';
import { FrameMutator, mulberry32, type Mutation } from './fuzz/mutate.js';
import { startRecordingProxy } from './fuzz/recording-proxy.js';

const envInt = (name: string, def: number): number => {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : def;
};

const SEED = envInt('SAMSA_FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const FRAMES = envInt('SAMSA_FUZZ_FRAMES', 20_000);
const BUDGET_MS = envInt('SAMSA_FUZZ_SECONDS', 60) * 1000;
const RSS_BOUND_KIB = envInt('SAMSA_FUZZ_RSS_MB', 600) * 1024;
const BATCH = 500;
const CONNECTIONS = 12;
const PROBE_TIMEOUT_MS = 1000;
const LIVENESS_MS = 2000;
const DATASET_EVERY_BATCHES = 5;
/** APIs whose legitimate use can remove or expire records of the data set. */
const DATASET_CHANGING_APIS = new Set([20, 21, 33, 44]);

interface Sent {
  index: number;
  conn: number;
  mutation: Mutation;
  frame: Buffer;
}

/** The bound port from the broker's start-up log line (the banner shows the advertised proxy). */
function boundPort(b: BrokerProcess): number {
  const m = /started in \d+ ms: listeners PLAINTEXT:\/\/[^:\s]+:(\d+)/.exec(b.output());
  if (!m) throw new Error(`no listener in the broker's output:\n${b.output()}`);
  return Number(m[1]);
}

/** ApiVersions on a fresh connection; returns the latency in ms, or throws. */
async function freshApiVersions(port: number): Promise<number> {
  const t0 = performance.now();
  const c = await WireClient.connect(port);
  try {
    const res = await c.request(18, 3, { clientSoftwareName: 'fuzz-check', clientSoftwareVersion: '1' }, LIVENESS_MS);
    if (res.errorCode !== 0) throw new Error(`ApiVersions error ${res.errorCode}`);
    return performance.now() - t0;
  } finally {
    c.close();
  }
}

test(`broker fuzz: ${FRAMES} mutated client frames (seed ${SEED})`, { timeout: BUDGET_MS + 180_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (rerun with SAMSA_FUZZ_SEED=${SEED}), frames ${FRAMES}, time budget ${BUDGET_MS / 1000} s`);
  const dir = tempDir('samsa-fuzz-');
  const proxy = await startRecordingProxy();
  let broker: BrokerProcess | null = null;
  let failed = true;
  const recent: Sent[] = [];
  const sinceDatasetCheck: Sent[] = [];
  const stats = { sent: 0, peakRssKiB: 0, maxApiVersionsMs: 0, datasetChecks: 0, datasetRestores: 0 };
  const connStats: ConnStats = { closedByBroker: 0, stalls: 0, probes: 0 };
  const mutations = new Map<Mutation, number>();
  const outcomes = new Map<string, number>();
  let rssTimer: NodeJS.Timeout | undefined;

  const fail = (reason: string): never => {
    const report = join(dir, 'fuzz-failure.txt');
    const frames = join(dir, 'fuzz-last-frames.txt');
    writeFileSync(report, `seed ${SEED}\nframes sent ${stats.sent}\n${reason}\n\nstats ${JSON.stringify({ ...stats, ...connStats })}\n\nbroker output (tail):\n${broker?.output().slice(-20_000) ?? ''}\n`);
    writeFileSync(frames, recent.map((s) => `#${s.index} conn ${s.conn} ${s.mutation} apiKey ${s.frame.length >= 6 ? s.frame.readInt16BE(4) : '?'}\n${s.frame.toString('hex')}\n`).join(''));
    throw new Error(`${reason}\nseed ${SEED}; last ${recent.length} frames in ${frames}; report in ${report} (directory kept)`);
  };

  try {
    broker = await startBrokerProcess({
      dataDir: join(dir, 'data'),
      overrides: {
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`,
        'log.segment.bytes': 1 << 20,
        'log.index.size.max.bytes': 64 * 1024,
        'socket.request.max.bytes': 16 << 20,
        'offsets.topic.num.partitions': 3,
        'transaction.state.log.num.partitions': 3,
        'group.initial.rebalance.delay.ms': 0,
        'num.partitions': 1,
        'auto.create.topics.enable': 'true',
      },
    });
    const b = broker;
    const port = boundPort(b);
    proxy.setTarget(port);
    const pid = b.child.pid;
    assert.ok(pid !== undefined);
    const sampleRss = (): number => {
      const kib = rssKiB(pid);
      if (kib > stats.peakRssKiB) stats.peakRssKiB = kib;
      return kib;
    };
    rssTimer = setInterval(() => {
      if (b.child.exitCode === null && b.child.signalCode === null) sampleRss();
    }, 100);

    // The known data set, then the corpus topics and the recorded client sessions.
    let dataset: Dataset = await writeDataset(port, 'fuzz-known-dataset');
    await WireClient.connect(port).then(async (c) => {
      for (const topic of CORPUS_TOPICS) assert.equal(await c.createTopic(topic, 2), 0);
      c.close();
    });
    const t0 = performance.now();
    await runClientSessions(`127.0.0.1:${proxy.port}`);
    const recorded = capPerApiKey(proxy.frames, 150);
    await proxy.close();
    const samples = sampleFrames();
    const corpus = [...recorded, ...samples, ...datasetFrames(dataset.topic, dataset.topicId, dataset.partitions)];
    const keys = new Set(recorded.map((f) => f.readInt16BE(4)));
    const inCorpus = new Set(corpus.map((f) => `${f.readInt16BE(4)}v${f.readInt16BE(6)}`));
    const missing = servedApis().flatMap((a) => Array.from({ length: a.maxVersion - a.oldestDecodable + 1 }, (_, i) => `${a.apiKey}v${a.oldestDecodable + i}`)).filter((kv) => !inCorpus.has(kv));
    assert.deepEqual(missing, [], 'the corpus has a frame for every served API key and version');
    t.diagnostic(`corpus: ${recorded.length} recorded client frames (API keys ${[...keys].sort((x, y) => x - y).join(',')}) in ${(performance.now() - t0).toFixed(0)} ms, ${samples.length} sample frames, dataset ${dataset.records.flat().length} records`);
    assert.equal(await checkDataset(port, dataset), null, 'data set intact before fuzzing');

    const rand = mulberry32(SEED);
    const mutator = new FrameMutator(rand, corpus, {
      apis: servedApis(),
      produceTargets: [{ topic: 'fz-a', partitions: 2 }, { topic: 'fz-b', partitions: 2 }, { topic: dataset.topic, partitions: dataset.partitions }],
    });
    const conns = Array.from({ length: CONNECTIONS }, () => new FuzzConnection(port, connStats));
    const started = performance.now();
    let batchNo = 0;

    const health = async (label: string): Promise<void> => {
      if (b.child.exitCode !== null || b.child.signalCode !== null) fail(`${label}: broker exited (code ${b.child.exitCode}, signal ${b.child.signalCode})`);
      let ms: number;
      try {
        ms = await freshApiVersions(port);
      } catch (e) {
        return fail(`${label}: a fresh connection's ApiVersions failed: ${(e as Error).message}`);
      }
      if (ms > stats.maxApiVersionsMs) stats.maxApiVersionsMs = ms;
      if (ms > LIVENESS_MS) fail(`${label}: ApiVersions took ${ms.toFixed(0)} ms`);
      const rss = sampleRss();
      if (rss > RSS_BOUND_KIB) fail(`${label}: broker RSS ${(rss / 1024).toFixed(0)} MB is above ${RSS_BOUND_KIB / 1024} MB`);
    };

    const datasetCheck = async (label: string): Promise<void> => {
      stats.datasetChecks++;
      const problem = await checkDataset(port, dataset);
      if (problem === null) {
        sinceDatasetCheck.length = 0;
        return;
      }
      // A frame that names the data set (or its id) and deletes or reconfigures topics/records may
      // legitimately have changed it: restore a fresh data set and continue. Anything else fails.
      const name = Buffer.from(dataset.topic);
      const id = Buffer.from(dataset.topicId, 'base64url');
      const culprit = sinceDatasetCheck.find((s) => s.frame.length >= 6 && DATASET_CHANGING_APIS.has(s.frame.readInt16BE(4)) && (s.frame.includes(name) || s.frame.includes(id)));
      if (culprit === undefined) fail(`${label}: the known data set does not read back intact: ${problem}`);
      t.diagnostic(`${label}: data set changed by frame #${culprit?.index} (API ${culprit?.frame.readInt16BE(4)}, a legitimate request): ${problem}; writing a new one`);
      stats.datasetRestores++;
      sinceDatasetCheck.length = 0;
      dataset = await writeDataset(port, `fuzz-known-dataset-${stats.datasetRestores}`);
    };

    while (stats.sent < FRAMES && performance.now() - started < BUDGET_MS) {
      batchNo++;
      const n = Math.min(BATCH, FRAMES - stats.sent);
      const perConn: Sent[][] = conns.map(() => []);
      for (let i = 0; i < n; i++) {
        const { frame, mutation } = mutator.next();
        const s: Sent = { index: stats.sent + i, conn: i % CONNECTIONS, mutation, frame };
        perConn[s.conn]?.push(s);
        mutations.set(mutation, (mutations.get(mutation) ?? 0) + 1);
      }
      const sending = Promise.all(
        conns.map(async (c, ci) => {
          for (const s of perConn[ci] ?? []) {
            recent.push(s);
            if (recent.length > 400) recent.shift();
            sinceDatasetCheck.push(s);
            if (s.mutation === 'size-prefix') {
              await c.writeLast(s.frame);
              continue;
            }
            const outcome = await c.writeAndProbe(s.frame, PROBE_TIMEOUT_MS);
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          }
        }),
      );
      try {
        await sending;
      } catch (e) {
        // A connection could not be (re)opened: the broker is gone or refuses connections.
        await waitFor(() => b.child.exitCode !== null || b.child.signalCode !== null, 2000, 'the broker to exit').catch(() => undefined);
        fail(`batch ${batchNo}: ${(e as Error).message}; broker exit code ${b.child.exitCode}, signal ${b.child.signalCode}`);
      }
      stats.sent += n;
      await health(`after batch ${batchNo} (${stats.sent} frames)`);
      if (batchNo % DATASET_EVERY_BATCHES === 0) await datasetCheck(`after batch ${batchNo}`);
    }
    for (const c of conns) c.close();
    const elapsed = (performance.now() - started) / 1000;
    await health('at the end');
    await datasetCheck('at the end');
    // The broker keeps serving real clients: the data set reads back through a fresh connection
    // (done above) and a new topic can be created and written.
    const fresh = await writeDataset(port, 'fuzz-after');
    assert.equal(await checkDataset(port, fresh), null, 'a data set written after fuzzing reads back');

    const errors = logRecords(b.output()).filter((r) => r.level === 'error').map((r) => `${r.msg}${r.err !== undefined ? `: ${r.err.message}` : ''}`);
    const distinct = [...new Set(errors.map((e) => e.replace(/\d+/g, 'N').slice(0, 160)))];
    t.diagnostic(`frames sent ${stats.sent} of ${FRAMES} in ${elapsed.toFixed(1)} s (${(stats.sent / elapsed).toFixed(0)} frames/s)${stats.sent < FRAMES ? ' — stopped at the time budget' : ''}`);
    t.diagnostic(`peak broker RSS ${(stats.peakRssKiB / 1024).toFixed(0)} MB (bound ${RSS_BOUND_KIB / 1024} MB); max fresh ApiVersions ${stats.maxApiVersionsMs.toFixed(1)} ms (bound ${LIVENESS_MS} ms)`);
    t.diagnostic(`connections closed by the broker ${connStats.closedByBroker}, stalled probes ${connStats.stalls} of ${connStats.probes}; data set checks ${stats.datasetChecks}, restores ${stats.datasetRestores}`);
    t.diagnostic(`mutations ${JSON.stringify(Object.fromEntries(mutations))}; frames answered/closed/stalled ${JSON.stringify(Object.fromEntries(outcomes))}`);
    t.diagnostic(`broker ERROR lines ${errors.length} (${distinct.length} distinct)${distinct.length > 0 ? `: ${distinct.slice(0, 12).join(' | ')}` : ''}`);
    failed = false;
  } finally {
    clearInterval(rssTimer);
    await proxy.close().catch(() => undefined);
    await broker?.kill();
    if (!failed) removeDir(dir);
    else t.diagnostic(`fuzz artifacts kept in ${dir}`);
  }
});
