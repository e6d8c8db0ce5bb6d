/**
 * Bench section `partitions100k` (issue 10, item 6; issue 22, target 6): N single-partition topics
 * on one Samsa broker: created, one record written to each, restarted cleanly and after kill -9,
 * every record read back after each restart. Reports the time of each step and the broker's open
 * fds (/proc/<pid>/fd) and RSS after each. The section runs a growth curve, one scenario per count
 * in a fresh data dir (default 1,000, 10,000 and 100,000), so the cost per partition between
 * counts is visible (bench/many-topics-report.ts renders it). Not part of the default run (it
 * takes minutes): `npm run bench -- --only partitions100k [--topics N[,N...]]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import type { CreateTopicsResponse } from '../src/protocol/generated/messages/create-topics.js';
import type { FetchResponse } from '../src/protocol/generated/messages/fetch.js';
import type { ProduceResponse } from '../src/protocol/generated/messages/produce.js';
import { decodeRecordBatches, encodeRecordBatch } from '../src/protocol/records/record.js';
import { WireClient } from './wire-client.js';

/** fds and RSS of the broker at one point. */
export interface ProcSample {
  openFds: number;
  rssMB: number;
}

export interface ManyTopicsResult {
  topics: number;
  fdLimit: number | null;
  createMs: number;
  /** Mean time of a CreateTopics of one topic once the N exist (SINGLE_CREATES of them): the cost of one metadata commit at N. */
  createOneMs: number;
  writeMs: number;
  afterWrite: ProcSample;
  cleanStopMs: number;
  cleanStartMs: number;
  afterCleanStart: ProcSample;
  readAfterCleanMs: number;
  secondWriteMs: number;
  killStartMs: number;
  afterKillStart: ProcSample;
  readAfterKillMs: number;
  afterRead: ProcSample;
  /** Largest fd count seen by the 100 ms sampler over the whole scenario. */
  maxOpenFds: number;
  maxRssMB: number;
  /** Topics that answered an error, or whose records did not read back as written. */
  errors: number;
  /** The machine's 1-minute load average when the scenario started and when it ended. */
  loadAvg: [number, number];
  error?: string;
}

/** The growth curve: one scenario per count, in increasing order. */
export interface ManyTopicsCurve {
  steps: ManyTopicsResult[];
}

const PER_REQUEST = 1000;
/** One-topic CreateTopics requests timed after the bulk creation (their topics get no records). */
const SINGLE_CREATES = 20;

interface Proc {
  port: number;
  child: ChildProcess;
  output(): string;
}

function sample(pid: number | undefined): ProcSample {
  let openFds = -1;
  let rssMB = -1;
  try {
    openFds = readdirSync(`/proc/${pid}/fd`).length;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) rssMB = Number(m[1]) / 1024;
  } catch {
    // process gone
  }
  return { openFds, rssMB };
}

async function startSamsa(cli: string, cwd: string, port: number, dataDir: string, fdLimit: number | null): Promise<{ proc: Proc; ms: number }> {
  const t0 = performance.now();
  const args = [cli, 'start', '--port', String(port), '--data-dir', dataDir, '--override', 'auto.create.topics.enable=false'];
  const child = fdLimit === null ? spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('prlimit', [`--nofile=${fdLimit}:${fdLimit}`, process.execPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const deadline = performance.now() + 30 * 60_000;
  for (;;) {
    if (/is up: PLAINTEXT/.test(out)) break;
    if (child.exitCode !== null) throw new Error(`samsa exited during start:\n${out}`);
    if (performance.now() > deadline) throw new Error(`samsa did not start in 30 min:\n${out}`);
    await sleep(5);
  }
  return { proc: { port, child, output: () => out }, ms: performance.now() - t0 };
}

async function stopProc(p: Proc, signal: 'SIGTERM' | 'SIGKILL'): Promise<number> {
  const t0 = performance.now();
  if (p.child.exitCode !== null || p.child.signalCode !== null) return 0;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill(signal);
  await exited;
  return performance.now() - t0;
}

const topicName = (i: number): string => `t100k-${i}`;

async function chunks(count: number, fn: (from: number, to: number) => Promise<number>): Promise<number> {
  let errors = 0;
  for (let from = 0; from < count; from += PER_REQUEST) errors += await fn(from, Math.min(count, from + PER_REQUEST));
  return errors;
}

async function createAll(c: WireClient, count: number): Promise<number> {
  return chunks(count, async (from, to) => {
    const topics = [];
    for (let i = from; i < to; i++) topics.push({ name: topicName(i), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] });
    const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics, timeoutMs: 600_000, validateOnly: false });
    return res.topics.filter((t) => t.errorCode !== 0).length;
  });
}

/** Creates SINGLE_CREATES more topics, one per CreateTopics; returns the topics that failed. */
async function createSingles(c: WireClient): Promise<number> {
  let errors = 0;
  for (let i = 0; i < SINGLE_CREATES; i++) {
    const topics = [{ name: `t100k-single-${i}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }];
    const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics, timeoutMs: 600_000, validateOnly: false });
    errors += res.topics.filter((t) => t.errorCode !== 0).length;
  }
  return errors;
}

async function writeAll(c: WireClient, count: number, round: number): Promise<number> {
  return chunks(count, async (from, to) => {
    const topicData = [];
    for (let i = from; i < to; i++) topicData.push({ name: topicName(i), partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: Buffer.from(`${i}/${round}`) }] }) }] });
    const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 60_000, topicData });
    return res.responses.filter((t) => t.partitionResponses[0]?.errorCode !== 0 || t.partitionResponses[0]?.baseOffset !== BigInt(round)).length;
  });
}

/** Reads every topic from offset 0; counts topics whose records are not exactly rounds 0..rounds-1. */
async function readAll(c: WireClient, count: number, rounds: number): Promise<number> {
  return chunks(count, async (from, to) => {
    const topics = [];
    for (let i = from; i < to; i++) topics.push({ topic: topicName(i), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 16 }] });
    const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 256 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics, forgottenTopicsData: [], rackId: '' });
    let bad = 0;
    for (const t of res.responses) {
      const p = t.partitions[0];
      const i = Number(t.topic.slice('t100k-'.length));
      const values = p?.errorCode === 0 ? decodeRecordBatches(p.records ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.value?.toString())) : [];
      if (values.length !== rounds || values.some((v, r) => v !== `${i}/${r}`)) bad++;
    }
    return bad + (to - from - res.responses.length);
  });
}

/**
 * Runs the scenario in `dataDir` (created by the broker; the caller removes it). `fdLimit` (e.g.
 * the shell's ulimit) is applied with prlimit when given.
 */
export async function manyTopicsScenario(opts: { cli: string; cwd: string; dataDir: string; port: () => Promise<number>; count: number; fdLimit: number | null; log: (m: string) => void }): Promise<ManyTopicsResult> {
  const { count, log } = opts;
  const r: ManyTopicsResult = {
    topics: count,
    fdLimit: opts.fdLimit,
    createMs: 0,
    createOneMs: 0,
    writeMs: 0,
    afterWrite: { openFds: -1, rssMB: -1 },
    cleanStopMs: 0,
    cleanStartMs: 0,
    afterCleanStart: { openFds: -1, rssMB: -1 },
    readAfterCleanMs: 0,
    secondWriteMs: 0,
    killStartMs: 0,
    afterKillStart: { openFds: -1, rssMB: -1 },
    readAfterKillMs: 0,
    afterRead: { openFds: -1, rssMB: -1 },
    maxOpenFds: 0,
    maxRssMB: 0,
    errors: 0,
    loadAvg: [loadavg()[0] ?? 0, 0],
  };
  let proc: Proc | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const watch = (p: Proc): void => {
    clearInterval(sampler);
    sampler = setInterval(() => {
      const s = sample(p.child.pid);
      r.maxOpenFds = Math.max(r.maxOpenFds, s.openFds);
      r.maxRssMB = Math.max(r.maxRssMB, s.rssMB);
    }, 100);
  };
  const timed = async (what: string, fn: () => Promise<number>): Promise<number> => {
    const t0 = performance.now();
    const errors = await fn();
    const ms = performance.now() - t0;
    r.errors += errors;
    log(`partitions100k ${count}: ${what}: ${(ms / 1000).toFixed(1)} s${errors > 0 ? `, ${errors} errors` : ''}`);
    return ms;
  };
  try {
    const start = async (what: string): Promise<number> => {
      const s = await startSamsa(opts.cli, opts.cwd, await opts.port(), opts.dataDir, opts.fdLimit);
      proc = s.proc;
      watch(proc);
      log(`partitions100k ${count}: ${what}: ${(s.ms / 1000).toFixed(1)} s`);
      return s.ms;
    };
    await start('first start');
    let c = await WireClient.connect((proc as Proc).port);
    r.createMs = await timed(`create ${count} topics`, () => createAll(c, count));
    r.createOneMs = (await timed(`${SINGLE_CREATES} more, one per CreateTopics`, () => createSingles(c))) / SINGLE_CREATES;
    r.writeMs = await timed('one record to each', () => writeAll(c, count, 0));
    r.afterWrite = sample(proc?.child.pid);
    c.close();

    r.cleanStopMs = await stopProc(proc as Proc, 'SIGTERM');
    log(`partitions100k ${count}: clean stop: ${(r.cleanStopMs / 1000).toFixed(1)} s`);
    r.cleanStartMs = await start('start after clean stop');
    r.afterCleanStart = sample(proc?.child.pid);
    c = await WireClient.connect((proc as Proc).port);
    r.readAfterCleanMs = await timed('read all back', () => readAll(c, count, 1));
    r.secondWriteMs = await timed('second record to each', () => writeAll(c, count, 1));
    c.close();

    await stopProc(proc as Proc, 'SIGKILL');
    r.killStartMs = await start('start after kill -9');
    r.afterKillStart = sample(proc?.child.pid);
    c = await WireClient.connect((proc as Proc).port);
    r.readAfterKillMs = await timed('read all back', () => readAll(c, count, 2));
    r.afterRead = sample(proc?.child.pid);
    c.close();
  } catch (e) {
    r.error = (e as Error).message.slice(0, 2000);
    log(`partitions100k ${count}: failed: ${r.error}\n${proc?.output().slice(-3000) ?? ''}`);
  } finally {
    clearInterval(sampler);
    if (proc !== undefined) await stopProc(proc, 'SIGTERM');
    r.loadAvg[1] = loadavg()[0] ?? 0;
  }
  return r;
}

/**
 * The growth curve: the scenario once per count (sorted, increasing), each in its own data dir
 * under `dataDir`, removed after its step.
 */
export async function manyTopicsCurve(opts: { cli: string; cwd: string; dataDir: string; port: () => Promise<number>; counts: readonly number[]; fdLimit: number | null; log: (m: string) => void }): Promise<ManyTopicsCurve> {
  const steps: ManyTopicsResult[] = [];
  for (const count of [...new Set(opts.counts)].sort((a, b) => a - b)) {
    const dataDir = `${opts.dataDir}-${count}`;
    opts.log(`partitions100k: step of ${count} topics (load average ${(loadavg()[0] ?? 0).toFixed(2)})`);
    try {
      steps.push(await manyTopicsScenario({ cli: opts.cli, cwd: opts.cwd, dataDir, port: opts.port, count, fdLimit: opts.fdLimit, log: opts.log }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return { steps };
}
