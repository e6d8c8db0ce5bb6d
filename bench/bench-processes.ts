/**
 * The bench's child processes: brokers (Samsa's CLI or the null broker) on a free port, waited for
 * until they log that they are up; load generators run with a timeout; their RSS and open files
 * read from /proc. Every child still running is killed when the bench exits, and the running
 * section's cleanups run on Ctrl-C / SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/common/free-port.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/src/cli/samsa.js');
const NULL_BROKER = join(ROOT, 'dist/bench/null-broker.js');
/** Partitions of the bench topics (num.partitions of the brokers started here). */
export const PARTITIONS = 6;

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Samsa's CLI, the null broker, or the null broker in store mode (null-store.ts: its files in the data dir) or serve mode (null-serve.ts). */
export type BrokerKind = 'samsa' | 'null' | 'store' | 'serve';

export interface BrokerProc {
  kind: BrokerKind;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Child processes (brokers, load generators) still running: killed when the bench exits (an error, Ctrl-C). */
export const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});
/** Cleanups of the running section, run on Ctrl-C / SIGTERM before the bench exits. */
const aborts = new Set<() => Promise<void>>();
export function onAbort(fn: () => Promise<void>): () => void {
  aborts.add(fn);
  return () => void aborts.delete(fn);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
    void Promise.allSettled([...aborts].map((f) => f())).then(() => process.exit(130));
  });
}

/** For the null broker, `overrides` become its options (`--ssl-keystore FILE`, …). */
export function startProc(kind: BrokerKind, port: number, dataDir: string, nodeArgs: string[] = [], overrides: Record<string, string> = {}): BrokerProc {
  const args =
    kind === 'samsa'
      ? [...nodeArgs, CLI, 'start', ...(overrides.listeners === undefined ? ['--port', String(port)] : []), '--data-dir', dataDir, '--override', `num.partitions=${PARTITIONS}`, '--override', 'auto.create.topics.enable=true', ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])]
      : [...nodeArgs, NULL_BROKER, String(port), ...(kind === 'store' ? ['--store', dataDir] : kind === 'serve' ? ['--serve'] : []), ...Object.entries(overrides).flatMap(([k, v]) => [`--${k}`, v])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  return { kind, port, child, ...watchChild(child, 20_000) };
}

/**
 * A server child the bench started (a broker, a Kafka node): killed when the bench exits (`live`),
 * the last 20,000 characters of its output kept, stopped with SIGTERM and, after `killAfterMs`,
 * SIGKILL.
 */
export function watchChild(child: ChildProcess, killAfterMs: number): { output(): string; stop(): Promise<void> } {
  live.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      live.delete(child);
      r();
    }),
  );
  return {
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function startBroker(kind: BrokerKind, dataDir: string, nodeArgs: string[] = [], overrides: Record<string, string> = {}): Promise<BrokerProc> {
  const port = await freePort();
  const p = startProc(kind, port, dataDir, nodeArgs, overrides);
  const deadline = performance.now() + 20_000;
  for (;;) {
    if (/is up: PLAINTEXT/.test(p.output())) return p;
    if (p.child.exitCode !== null) throw new Error(`${kind} broker exited during start:\n${p.output()}`);
    if (performance.now() > deadline) {
      await p.stop();
      throw new Error(`${kind} broker did not start in 20 s:\n${p.output()}`);
    }
    await sleep(10);
  }
}

/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK on Linux). */
const CLOCK_TICKS = 100;

/**
 * A process's CPU seconds so far (utime, stime) and minor page faults, from /proc/<pid>/stat
 * (fields 10, 14 and 15 of proc(5), counted after the command name); zeros when unknown.
 */
export function procStat(pid: number | undefined): { user: number; system: number; minorFaults: number } {
  if (pid === undefined) return { user: 0, system: 0, minorFaults: 0 };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / CLOCK_TICKS, system: Number(f[12]) / CLOCK_TICKS, minorFaults: Number(f[7]) };
  } catch {
    return { user: 0, system: 0, minorFaults: 0 };
  }
}

/** CPU seconds (user + system) of a process so far; 0 when unknown. */
export function cpuSec(pid: number | undefined): number {
  const s = procStat(pid);
  return s.user + s.system;
}

export function rssMB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export function openFds(pid: number | undefined): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export class RssSampler {
  max = 0;
  private timer: NodeJS.Timeout;
  constructor(pid: number | undefined) {
    this.timer = setInterval(() => {
      const v = rssMB(pid);
      if (v !== null && v > this.max) this.max = v;
    }, 100);
  }
  stop(): number {
    clearInterval(this.timer);
    return this.max;
  }
}

export interface RunOut {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function run(cmd: string, args: string[], timeoutMs: number): { done: Promise<RunOut>; child: ChildProcess } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-50_000)));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<RunOut>((res) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, timedOut });
    }),
  );
  return { done, child };
}
