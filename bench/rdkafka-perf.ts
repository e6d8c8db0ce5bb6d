/**
 * librdkafka's rdkafka_performance as the bench's load generator: compiled here from the example
 * source librdkafka-dev ships (bench/rdkafka/ supplies the internal helpers it includes), run for
 * produce and consume throughput, and for produce→consume / produce→ack latency at a fixed rate.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from '../src/cli/stats.js';
import { log, PARTITIONS, ROOT, run } from './bench-processes.js';
import type { LatencyOutcome } from './cluster.js';
import type { LatencySummary, Throughput } from './report.js';

const EXAMPLE_SRC = '/usr/share/doc/librdkafka-dev/examples/rdkafka_performance.c';

export function buildRdkafkaPerf(buildDir: string): { bin: string; version: string } {
  if (!existsSync(EXAMPLE_SRC)) throw new Error(`${EXAMPLE_SRC} not found. Install it: apt-get install -y librdkafka-dev`);
  mkdirSync(buildDir, { recursive: true });
  const bin = join(buildDir, 'rdkafka_performance');
  const shim = join(ROOT, 'bench/rdkafka');
  const stale = !existsSync(bin) || statSync(bin).mtimeMs < Math.max(statSync(EXAMPLE_SRC).mtimeMs, statSync(join(shim, 'src/rd.h')).mtimeMs);
  if (stale) {
    log(`compiling ${EXAMPLE_SRC} → ${bin}`);
    try {
      execFileSync('gcc', ['-O2', '-w', '-I', join(shim, 'include'), '-I', '/usr/include/librdkafka', '-o', bin, EXAMPLE_SRC, '-lrdkafka', '-lm', '-lpthread'], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (e) {
      throw new Error(`compiling rdkafka_performance failed (need gcc and librdkafka-dev: apt-get install -y gcc librdkafka-dev): ${(e as Error).message}`);
    }
  }
  let version = 'unknown';
  try {
    const out = execFileSync('sh', ['-c', `"${bin}" -h 2>&1 || true`]).toString();
    version = /librdkafka version (\S+)/.exec(out)?.[1] ?? version;
  } catch {
    /* version stays unknown */
  }
  return { bin, version };
}

export const NO_WARN = ['-X', 'log_level=3'];
/**
 * rdkafka_performance sets linger.ms=1000 (it is a throughput tool); the latency runs send each
 * record as soon as the client can, so the figures show the broker rather than client batching.
 */
export const LOW_LATENCY = ['-X', 'linger.ms=0', '-X', 'fetch.wait.max.ms=100'];
/**
 * Throughput runs use librdkafka's own default linger (5 ms): with rdkafka_performance's 1000 ms
 * the last partial batches wait up to a second, a tail that dominates short runs.
 */
const THROUGHPUT = ['-X', 'linger.ms=5'];

function parseProduced(out: string): Throughput | null {
  const all = [...out.matchAll(/% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/g)];
  const m = all[all.length - 1];
  if (!m) return null;
  const delivered = Number(m[3]);
  const bytes = (Number(m[2]) / Math.max(Number(m[1]), 1)) * delivered;
  const ms = Math.max(Number(m[5]), 1);
  const failed = Number(m[4]);
  return { records: delivered, bytes, elapsedMs: ms, recordsPerSec: delivered / (ms / 1000), mbPerSec: bytes / 1e6 / (ms / 1000), ...(failed > 0 ? { error: `${failed} failed deliveries` } : {}) };
}

function parseConsumed(out: string): Throughput | null {
  const all = [...out.matchAll(/% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms/g)];
  const m = all[all.length - 1];
  if (!m) return null;
  const records = Number(m[1]);
  const bytes = Number(m[2]);
  const ms = Math.max(Number(m[3]), 1);
  return { records, bytes, elapsedMs: ms, recordsPerSec: records / (ms / 1000), mbPerSec: bytes / 1e6 / (ms / 1000) };
}

function failed(msg: string): Throughput {
  return { records: 0, bytes: 0, elapsedMs: 0, recordsPerSec: 0, mbPerSec: 0, error: msg };
}

export function partitionArgs(): string[] {
  return Array.from({ length: PARTITIONS }, (_, i) => ['-p', String(i)]).flat();
}

/**
 * Every produce run starts from the same memory state: no dirty pages left by earlier runs
 * (`sync`) and, where permitted (root), the page cache dropped, so no run pays for the writeback
 * or reclaim of the data the runs before it wrote and read (on this VM a plain `dd` of 1 GB runs
 * at ~4 GB/s from a settled cache and ~0.73 GB/s right after another 1 GB). The null broker
 * writes nothing either way.
 */
function settlePageCache(): void {
  execFileSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch {
    // Not root: dirty pages are flushed, clean ones stay.
  }
}

/** `to`: a port on 127.0.0.1 or a bootstrap list. */
export async function perfProduce(bin: string, to: number | string, topic: string, size: number, records: number, acks: string, extra: string[] = []): Promise<Throughput> {
  settlePageCache();
  const r = await run(bin, ['-P', '-t', topic, '-b', typeof to === 'number' ? `127.0.0.1:${to}` : to, '-s', String(size), '-c', String(records), '-a', acks, ...NO_WARN, ...THROUGHPUT, ...extra], 30 * 60_000).done;
  const t = parseProduced(r.stdout);
  if (!t) return failed(`rdkafka_performance exited ${r.code}${r.timedOut ? ' (timeout)' : ''}: ${(r.stderr || r.stdout).slice(-300)}`);
  if (t.records < records && !t.error) t.error = `only ${t.records} of ${records} delivered`;
  return t;
}

export async function perfConsume(bin: string, port: number, topic: string, records: number, extra: string[] = []): Promise<Throughput> {
  const r = await run(bin, ['-C', '-t', topic, ...partitionArgs(), '-b', `127.0.0.1:${port}`, '-o', 'beginning', '-c', String(records), '-e', ...NO_WARN, ...extra], 30 * 60_000).done;
  const t = parseConsumed(r.stdout);
  if (!t) return failed(`rdkafka_performance exited ${r.code}${r.timedOut ? ' (timeout)' : ''}: ${(r.stderr || r.stdout).slice(-300)}`);
  if (t.records < records) t.error = `only ${t.records} of ${records} consumed`;
  return t;
}

export function readLatencies(file: string, into: LatencyHistogram): number {
  if (!existsSync(file)) return 0;
  let n = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const us = Number(line);
    if (line.length > 0 && Number.isFinite(us)) {
      into.record(us / 1000);
      n++;
    }
  }
  return n;
}

export function summary(h: LatencyHistogram): LatencySummary | null {
  if (h.count === 0) return null;
  const s = h.summary();
  return { count: s.count, mean: s.mean, p50: s.p50, p99: s.p99, p999: s.p999, max: s.max };
}

/**
 * One latency pair: an rdkafka_performance consumer at the end of every partition (`-l`: it
 * writes each record's produce→consume time to its file), then a producer at `rate` (its file:
 * produce→ack). `extra`: librdkafka settings of both. The consumer is stopped if it has not seen
 * every record 15 s after the producer ended.
 */
export async function latencyPair(bin: string, work: string, bootstrap: string, topic: string, rate: number, records: number, size: number, acks: string, extra: readonly string[], tag: string): Promise<{ cfile: string; pfile: string; producerCode: number | null }> {
  const timeoutMs = (records / rate + 60) * 1000;
  const cfile = join(work, `lat-${tag}-consumer.txt`);
  const pfile = join(work, `lat-${tag}-producer.txt`);
  const consumer = run(bin, ['-C', '-l', '-A', cfile, '-t', topic, ...partitionArgs(), '-b', bootstrap, '-o', 'end', '-c', String(records), '-q', ...NO_WARN, ...extra], timeoutMs);
  await sleep(3000); // let the consumer reach the end of each partition first
  const producer = await run(bin, ['-P', '-l', '-A', pfile, '-t', topic, '-b', bootstrap, '-s', String(size), '-a', acks, '-r', String(rate), '-c', String(records), '-q', ...NO_WARN, ...extra], timeoutMs).done;
  const cons = await Promise.race([consumer.done, sleep(15_000).then(() => null)]);
  if (cons === null) {
    consumer.child.kill('SIGINT');
    await Promise.race([consumer.done, sleep(3000)]);
    consumer.child.kill('SIGKILL');
  }
  return { cfile, pfile, producerCode: producer.code };
}

/**
 * Produce→consume and produce→ack latency at a fixed rate, as in the latency section: a consumer at
 * the end of every partition reads the send time stamped into each record.
 */
export async function e2eLatency(bin: string, work: string, bootstrap: string, topic: string, rate: number, records: number, size: number, acks: string, tag: string): Promise<LatencyOutcome> {
  const e2e = new LatencyHistogram();
  const ack = new LatencyHistogram();
  const pair = await latencyPair(bin, work, bootstrap, topic, rate, records, size, acks, LOW_LATENCY, `${tag}-${rate}`);
  const received = readLatencies(pair.cfile, e2e);
  readLatencies(pair.pfile, ack);
  const out: LatencyOutcome = { endToEnd: summary(e2e), produceAck: summary(ack), received };
  if (received < records) out.error = `consumer saw ${received} of ${records}`;
  if (pair.producerCode !== 0) out.error = `producer exited ${pair.producerCode}`;
  return out;
}
