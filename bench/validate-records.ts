/**
 * Micro-benchmark of produce-side record validation.
 *
 *   node dist/bench/validate-records.js [--baseline DIR] [--mb N] [--rounds N] [--dir LOGDIR] [--only scan,compressed,handler]
 *
 * 1. The record-content scan (record-scan.ts) over 1 MB uncompressed batches of 100 B and 1 KiB
 *    records (null keys, no headers, as rdkafka_performance sends them): MB/s, records/s and ms per
 *    GB, next to the header + CRC32C validation every batch already had.
 * 2. Compressed 1 MB batches (1 KiB text-like records): streaming decompression through the scanner
 *    against decompress() alone.
 * 3. The Produce handler, per GB: Produce v9 requests (acks=1, one batch of ~1 MB before
 *    compression: uncompressed 100 B and 1 KiB records, lz4 and zstd 1 KiB text) dispatched straight
 *    into an embedded broker's router (no sockets; appends go to a temporary log directory under
 *    /dev/shm when it exists, else the OS temp dir; retention keeps it under ~1 GB). With `--baseline DIR` (a checkout of an older commit, built with `tsc`) the
 *    same requests also go through that build's handler, alternating rounds, so before and after
 *    come from the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RECORD_BATCH_OVERHEAD, CompressionType } from '../src/protocol/records/batch-header.js';
import { compress, compressionName, decompress, decompressInto } from '../src/protocol/records/compression.js';
import { encodeRecordBatch } from '../src/protocol/records/record.js';
import { RecordScanner, scanRecords } from '../src/protocol/records/record-scan.js';
import { validateRecordBatches } from '../src/protocol/records/validate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const BASELINE = arg('--baseline');
const HANDLER_MB = Number(arg('--mb') ?? 512);
const ROUNDS = Number(arg('--rounds') ?? 3);
const BATCH_BYTES = 1_000_000;
/** Where the handler benchmark's logs go: tmpfs when there is one, so disk writeback does not swamp the figures. */
const LOG_PARENT = arg('--dir') ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/** A ~1 MB batch of `valueSize`-byte values, null keys, timestamps a few ms apart. */
function makeBatch(valueSize: number, compression: number = CompressionType.none, text = false): { batch: Buffer; count: number } {
  const count = Math.floor(BATCH_BYTES / (valueSize + 8));
  const words = ['alpha', 'beta', 'gamma', 'delta', 'kafka', 'samsa', 'offset', 'record', 'topic', 'leader', '{"id":', '"ts":', '}', ',', ' '];
  let seed = 12345;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 0x1000000;
  const now = BigInt(Date.now());
  const records = Array.from({ length: count }, (_, i) => {
    let value: Buffer;
    if (text) {
      // Random words and numbers: compresses about 3-5x, like JSON-ish payloads.
      let s = `${i}:`;
      while (s.length < valueSize) s += rnd() < 0.3 ? String(Math.floor(rnd() * 1e6)) : (words[Math.floor(rnd() * words.length)] as string);
      value = Buffer.from(s.slice(0, valueSize));
    } else {
      value = Buffer.alloc(valueSize, 0x61 + (i % 26));
    }
    return { key: null, value, timestamp: now + BigInt(i >> 6) };
  });
  return { batch: encodeRecordBatch({ compression, baseTimestamp: now, records }), count };
}

/** Best-of-`ROUNDS` seconds for `iters` calls of `fn`. */
function best(iters: number, fn: () => void): number {
  let bestS = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    bestS = Math.min(bestS, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return bestS;
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function scanSection(): void {
  console.log('## Record scan, uncompressed 1 MB batches\n');
  console.log('| records | per batch | scan MB/s | scan records/s | scan ms/GB | header+CRC ms/GB | both ms/GB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const size of [100, 1024]) {
    const { batch, count } = makeBatch(size);
    const iters = Math.ceil(1e9 / batch.length / 4); // ~250 MB per round
    best(20, () => scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, count)); // warm-up
    const scan = best(iters, () => scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, count));
    const header = best(iters, () => validateRecordBatches(batch));
    const both = best(iters, () => {
      validateRecordBatches(batch);
      scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, count);
    });
    const bytes = iters * batch.length;
    const perGB = (s: number): string => fmt((s / bytes) * 1e12, 1);
    console.log(`| ${size} B | ${fmt(count)} | ${fmt(bytes / scan / 1e6)} | ${fmt((iters * count) / scan / 1e6, 1)} M | ${perGB(scan)} | ${perGB(header)} | ${perGB(both)} |`);
  }
  console.log();
}

function compressedSection(): void {
  console.log('## Compressed 1 MB batches (1 KiB text-like records): streaming through the scanner vs decompress() alone\n');
  console.log('| codec | compressed | inflate+scan MB/s | decompress() MB/s |');
  console.log('|---|---:|---:|---:|');
  const { batch: plainBatch, count } = makeBatch(1024, CompressionType.none, true);
  const plain = plainBatch.subarray(RECORD_BATCH_OVERHEAD);
  const scanner = new RecordScanner();
  for (const codec of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
    const c = compress(codec, plain);
    const iters = codec === CompressionType.gzip ? 60 : 250;
    const stream = best(iters, () => {
      scanner.reset(count, 64 * 1024 * 1024);
      decompressInto(codec, c, scanner, 64 * 1024 * 1024);
      scanner.finish();
    });
    const whole = best(iters, () => decompress(codec, c));
    console.log(`| ${compressionName(codec)} | ${fmt(c.length)} B | ${fmt((iters * plain.length) / stream / 1e6)} | ${fmt((iters * plain.length) / whole / 1e6)} |`);
  }
  console.log();
}

type Workload = [label: string, valueSize: number, codec: number, text: boolean];

const WORKLOADS: Workload[] = [
  ['100 B', 100, CompressionType.none, false],
  ['1 KiB', 1024, CompressionType.none, false],
  ['1 KiB text, lz4', 1024, CompressionType.lz4, true],
  ['1 KiB text, zstd', 1024, CompressionType.zstd, true],
];

/**
 * In a child process: an embedded broker of the build at `root` gets Produce frames for workload
 * `w` straight into its router; prints the best seconds per GB of request bytes over the rounds.
 */
async function handlerChild(root: string, w: number): Promise<void> {
  const [, size, codec, text] = WORKLOADS[w] as Workload;
  const mod = (p: string): Promise<any> => import(pathToFileURL(join(root, p)).href);
  const { startBroker } = await mod('dist/src/index.js');
  const { WireClient } = await mod('dist/test/helpers/wire.js');
  const dataDir = mkdtempSync(join(LOG_PARENT, 'samsa-validate-bench-'));
  let broker;
  try {
    broker = await startBroker({ port: 0, dataDir, config: { 'log.segment.bytes': 256 * 1024 * 1024, 'log.retention.bytes': 512 * 1024 * 1024, 'log.retention.check.interval.ms': 1000 } });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  try {
    const router = broker.broker.router;
    const conn = { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', state: new Map<string, unknown>() };
    const create = WireClient.encodeRequest(19, 7, { topics: [{ name: 'bench', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false }, 1);
    await router.dispatch(create.subarray(4), conn);
    // A few different batches; request frames without the size prefix, as the router gets them.
    const frames: Buffer[] = Array.from({ length: 4 }, () => {
      const { batch } = makeBatch(size, codec, text);
      const req = { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'bench', partitionData: [{ index: 0, records: batch }] }] };
      return (WireClient.encodeRequest(0, 9, req, 7) as Buffer).subarray(4);
    });
    const run = async (total: number): Promise<number> => {
      const t0 = process.hrtime.bigint();
      let sent = 0;
      for (let i = 0; sent < total; i++) {
        const f = frames[i % frames.length] as Buffer;
        const out = router.dispatch(f, conn);
        if (out instanceof Promise) await out;
        sent += f.length;
      }
      return Number(process.hrtime.bigint() - t0) / 1e9 / (sent / 1e9);
    };
    await run(64e6); // warm-up
    let bestS = Infinity;
    for (let r = 0; r < ROUNDS; r++) bestS = Math.min(bestS, await run(HANDLER_MB * 1e6));
    process.stdout.write(`${JSON.stringify({ s: bestS, frame: frames[0]?.length ?? 0 })}\n`);
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function childRun(root: string, w: number): { s: number; frame: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--handler-child', root, String(w), '--mb', String(HANDLER_MB), '--rounds', String(ROUNDS), '--dir', LOG_PARENT], { encoding: 'utf8', env: { ...process.env, SAMSA_LOG_LEVEL: 'warn' } });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as { s: number; frame: number };
  } catch {
    throw new Error(`handler benchmark child failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

function handlerSection(): void {
  console.log(`## Produce handler (${HANDLER_MB} MB of requests per round, best of ${ROUNDS}; router.dispatch into an embedded broker, one process per build and workload, logs in ${LOG_PARENT})\n`);
  const builds: [string, string][] = BASELINE !== undefined ? [['baseline', resolve(BASELINE)], ['this build', ROOT]] : [['this build', ROOT]];
  const head = builds.map(([b]) => `${b} s/GB`).join(' | ');
  console.log(`| records | request | ${head} |${BASELINE !== undefined ? ' ms per request, baseline → this build | change |' : ' ms per request |'}`);
  console.log(`|---|---:|${builds.map(() => '---:').join('|')}|${BASELINE !== undefined ? '---:|---:|' : '---:|'}`);
  WORKLOADS.forEach(([label], w) => {
    const res = new Map<string, { s: number; frame: number }>();
    // Alternate the builds, twice, and keep each one's best.
    for (let rep = 0; rep < 2; rep++) {
      for (const [name, root] of builds) {
        const r = childRun(root, w);
        const prev = res.get(name);
        if (prev === undefined || r.s < prev.s) res.set(name, r);
      }
    }
    const frame = res.get('this build')?.frame ?? 0;
    const ms = (name: string): string => fmt(((res.get(name)?.s ?? NaN) * frame) / 1e6, 2);
    const cells = builds.map(([name]) => fmt(res.get(name)?.s ?? NaN, 3)).join(' | ');
    if (BASELINE !== undefined) {
      const change = ((res.get('this build')?.s ?? 0) / (res.get('baseline')?.s ?? 1) - 1) * 100;
      console.log(`| ${label} | ${fmt(frame / 1000)} kB | ${cells} | ${ms('baseline')} → ${ms('this build')} | ${change >= 0 ? '+' : ''}${fmt(change, 1)} % |`);
    } else {
      console.log(`| ${label} | ${fmt(frame / 1000)} kB | ${cells} | ${ms('this build')} |`);
    }
  });
  console.log();
}

const child = process.argv.indexOf('--handler-child');
if (child >= 0) {
  await handlerChild(process.argv[child + 1] as string, Number(process.argv[child + 2]));
} else {
  const ONLY = (arg('--only') ?? 'scan,compressed,handler').split(',');
  if (ONLY.includes('scan')) scanSection();
  if (ONLY.includes('compressed')) compressedSection();
  if (ONLY.includes('handler')) handlerSection();
}
