/** Shared pieces of the real-client compatibility suites (test/compat/*). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { partitionForKey } from '../../src/common/murmur2.js';
import { runProcess, type RunResult } from './run-process.js';

export const KCAT = 'kcat';

/** Compression codec ids as stored in a batch's attributes. */
export const CODEC_ID: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/**
 * librdkafka enables its LZ4 feature only when the broker's ApiVersions lists FindCoordinator
 * (rdkafka_feature.c); otherwise it silently produces LZ4-configured batches uncompressed.
 */
export const LZ4_NOTE = (codec: string): string =>
  codec === 'lz4' ? ' (librdkafka only compresses with LZ4 when ApiVersions advertises FindCoordinator, key 10)' : '';

/**
 * Checks that librdkafka's stored batches use `codec`. librdkafka sends a batch uncompressed when
 * compressing would not make it smaller (a lone short record), so only single-record batches may
 * be stored uncompressed; at least one batch must carry the codec.
 */
export function assertStoredWithCodec(batches: readonly { baseOffset: bigint | number; compression: number; records: readonly unknown[] }[], codec: string): void {
  const id = CODEC_ID[codec];
  for (const b of batches) {
    if (b.compression === 0 && b.records.length === 1) continue;
    assert.equal(b.compression, id, `stored batch at ${b.baseOffset} (${b.records.length} records): codec${LZ4_NOTE(codec)}`);
  }
  assert.ok(batches.some((b) => b.compression === id), `no ${codec} batch stored${LZ4_NOTE(codec)}`);
}

export interface SentRecord {
  key: string;
  value: string;
  headers: [string, string][];
}

/** Groups records by the partition Java's default partitioner picks for their key, keeping send order. */
export function expectedByPartition(records: SentRecord[], numPartitions: number): Map<number, SentRecord[]> {
  const out = new Map<number, SentRecord[]>();
  for (let p = 0; p < numPartitions; p++) out.set(p, []);
  for (const r of records) out.get(partitionForKey(Buffer.from(r.key, 'utf8'), numPartitions))!.push(r);
  return out;
}

/** A record as a client consumed it (the Python suites' JSON shape). */
export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: [string, string][];
}

/**
 * Asserts that exactly the sent records were consumed: each on Java's partition for its key, at
 * dense offsets from 0, in send order, with key, value and headers intact.
 */
export function assertReadBackInOrder(sent: SentRecord[], partitions: number, consumed: ConsumedRecord[]): void {
  const expected = expectedByPartition(sent, partitions);
  assert.equal(consumed.length, sent.length, 'consumed record count');
  for (let p = 0; p < partitions; p++) {
    const got = consumed.filter((c) => c.partition === p);
    const want = expected.get(p)!;
    assert.equal(got.length, want.length, `partition ${p} count`);
    got.forEach((g, i) => {
      assert.equal(g.offset, i, `partition ${p}: offsets dense and in order`);
      assert.equal(g.key, want[i]!.key, `partition ${p} offset ${i}: key`);
      assert.equal(g.value, want[i]!.value, `partition ${p} offset ${i}: value`);
      assert.deepEqual(g.headers, want[i]!.headers, `partition ${p} offset ${i}: headers`);
    });
  }
}

/** Runs kcat and fails with its stderr when it exits non-zero or times out. */
export async function kcat(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await runProcess(KCAT, args, opts);
  if (r.timedOut) throw new Error(`kcat ${args.join(' ')} timed out after ${opts.timeoutMs ?? 60_000} ms\n${r.stderr}`);
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${r.code}\n${r.stderr}`);
  return r;
}

/** A Python script's JSON result: the last stdout line. Fails with stderr on a non-zero exit. */
export function pythonJson<T = any>(r: RunResult, what: string): T {
  const out = r.stdout.toString('utf8');
  if (r.timedOut) throw new Error(`${what} timed out\nstdout:\n${out.slice(-4000)}\nstderr:\n${r.stderr.slice(-4000)}`);
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}\nstdout:\n${out.slice(-4000)}\nstderr:\n${r.stderr.slice(-4000)}`);
  const lines = out.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${what} did not print JSON last\nstdout:\n${out.slice(-4000)}\nstderr:\n${r.stderr.slice(-4000)}`);
  }
}

/** Deterministic pseudo-random generator (so a failing run can be reproduced). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** Keyed records with headers for a compatibility round trip. */
export function makeKeyedRecords(prefix: string, count: number, opts: { headers?: boolean } = {}): SentRecord[] {
  const rnd = prng(count * 7919 + prefix.length);
  const out: SentRecord[] = [];
  for (let i = 0; i < count; i++) {
    const key = `${prefix}-key-${Math.floor(rnd() * 40)}-${i % 7}`;
    const value = `${prefix}-value-${i}-${'x'.repeat(Math.floor(rnd() * 50))}`;
    const headers: [string, string][] = opts.headers === false ? [] : [['seq', String(i)], ['origin', prefix]];
    if (opts.headers !== false && i % 3 === 0) headers.push(['extra', `e${i}`]);
    out.push({ key, value, headers });
  }
  return out;
}

/** Reads /proc/<pid>/status VmRSS in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}
