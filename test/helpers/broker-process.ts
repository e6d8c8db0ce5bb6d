/**
 * Runs `samsa start` as a child process (so tests can kill -9 it) on a free port, and reports
 * the port from its startup line. Its output is captured (output()) and printed only when a test
 * fails (log-capture.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { captureChildOutput } from './log-capture.js';

export const CLI = resolve('dist/src/cli/samsa.js');

export interface BrokerProcess {
  port: number;
  bootstrap: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export function tempDir(prefix = 'samsa-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface BrokerProcessOptions {
  dataDir?: string;
  port?: number;
  overrides?: Record<string, string | number>;
  args?: string[];
  nodeArgs?: string[];
  /** RLIMIT_NOFILE (soft and hard) of the broker process, set through prlimit(1). */
  fdLimit?: number;
  /** How long to wait for the startup line (default 15 s). */
  startTimeoutMs?: number;
  /** The script run as `node <cli> start ...` (default dist/src/cli/samsa.js). */
  cli?: string;
  /** Environment of the broker process (default this process's). */
  env?: NodeJS.ProcessEnv;
}

export async function startBrokerProcess(opts: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const args = [opts.cli ?? CLI, 'start', '--port', String(opts.port ?? 0), '--data-dir', dataDir, ...(opts.args ?? [])];
  for (const [k, v] of Object.entries(opts.overrides ?? {})) args.push('--override', `${k}=${v}`);
  const argv = [...(opts.nodeArgs ?? []), ...args];
  // prlimit execs the command, so child.pid is the broker's own pid.
  const child =
    opts.fdLimit === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env })
      : spawn('prlimit', [`--nofile=${opts.fdLimit}:${opts.fdLimit}`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  captureChildOutput(`broker process ${child.pid ?? '?'} (${dataDir})`, () => out);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const port = await new Promise<number>((res, rej) => {
    const startMs = opts.startTimeoutMs ?? 15_000;
    const timer = setTimeout(() => rej(new Error(`broker did not start in ${startMs / 1000} s:\n${out}`)), startMs);
    const check = (): void => {
      // The advertised port, or the bound one when it differs (advertised.listeners pointing at a proxy).
      const m = /is up: PLAINTEXT:\/\/[^:\s]+:(\d+)( \(bound to port (\d+)\))?/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(Number(m[3] ?? m[1]));
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`broker exited with ${code}:\n${out}`));
    });
  });
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
