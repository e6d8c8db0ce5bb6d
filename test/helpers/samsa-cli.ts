/** Runs the real `samsa` binary (dist/src/cli/samsa.js) as a child process, for the CLI tests. */
import assert from 'node:assert/strict';
import { CLI } from './broker-process.js';
import { runProcess } from './run-process.js';

export interface CliOut {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `samsa ...args`; with `bootstrap`, `--bootstrap-server` is appended. */
export async function samsaCli(args: string[], opts: { bootstrap?: string; input?: string; timeoutMs?: number } = {}): Promise<CliOut> {
  const full = opts.bootstrap !== undefined ? [...args, '--bootstrap-server', opts.bootstrap] : args;
  const r = await runProcess(process.execPath, [CLI, ...full], { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  assert.equal(r.timedOut, false, `samsa ${full.join(' ')} timed out\n${r.stderr}`);
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

export function assertOk(r: CliOut, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
