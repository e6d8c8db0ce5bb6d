/** Helpers of the Connect tests: HTTP calls, polling with a deadline, a PostgreSQL cluster in a temp dir, `samsa connect` worker processes. */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { freePort } from '../../src/common/free-port.js';
import { captureChildOutput } from '../helpers/log-capture.js';

export { freePort };

export interface Answer {
  status: number;
  json: unknown;
  text: string;
}

export async function http(method: string, url: string, body?: unknown): Promise<Answer> {
  const res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export function expectStatus(a: Answer, status: number, what: string): void {
  assert.equal(a.status, status, `${what}: HTTP ${a.status} ${a.text}`);
}

/** Polls `f` until it answers a truthy value or the deadline passes (an AssertionError ends it at once). */
export async function waitFor<T>(what: string, f: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pgBin(name: string): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  for (const v of readdirSync(base).sort().reverse()) {
    const p = join(base, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return null;
}

export interface Postgres {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A PostgreSQL cluster of its own (initdb in a temp dir, a free port, trust auth); null when the binaries are missing. */
export async function startPostgres(): Promise<Postgres | null> {
  const initdb = pgBin('initdb');
  const postgres = pgBin('postgres');
  if (initdb === null || postgres === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'samsa-pg-'));
  // PostgreSQL refuses to run as root: as root, run it as the postgres user (setpriv execs, so
  // the child's pid is the server's own).
  let asUser: string[] = [];
  if (userInfo().uid === 0) {
    const ids = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
    chownSync(dir, Number(ids), Number(gid));
    chmodSync(dir, 0o700);
    asUser = ['setpriv', `--reuid=${ids}`, `--regid=${gid}`, '--clear-groups', '--'];
  }
  const run = (bin: string, args: string[]): [string, string[]] => (asUser.length > 0 ? [asUser[0] as string, [...asUser.slice(1), bin, ...args]] : [bin, args]);
  try {
    execFileSync(...run(initdb, ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']), { stdio: 'ignore' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const port = await freePort();
  const child: ChildProcess = spawn(...run(postgres, ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitFor('postgres to accept connections', () => /ready to accept connections/.test(out), 30_000);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return {
    port,
    url: `jdbc:postgresql://127.0.0.1:${port}/postgres?user=postgres`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  url: string;
  /** host:port, as statuses name the worker. */
  id: string;
  child: ChildProcess;
  output(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** A `samsa connect` worker process (distributed) with a worker.properties file; resolves once its REST API listens. */
export async function startWorkerProcess(bootstrap: string, groupId: string, props: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [resolve('dist/src/cli/samsa.js'), 'connect', '--bootstrap-server', bootstrap, '--port', '0', '--group-id', groupId, props], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  captureChildOutput(`connect worker ${child.pid ?? '?'}`, () => out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  let url: string;
  try {
    url = await waitFor(`worker startup (${out})`, () => {
      if (!running()) throw new assert.AssertionError({ message: `worker exited: ${out}` });
      return /Connect worker listening on (http:\/\/\S+)/.exec(out)?.[1];
    }, 60_000);
  } catch (e) {
    if (running()) child.kill('SIGKILL');
    await exited;
    throw e;
  }
  return {
    url,
    id: url.replace('http://', ''),
    child,
    output: () => out,
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (running()) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface ConnectSuite {
  /** The broker (GROUP_TEST_BROKER_CONFIG), once the file's before hook ran. */
  readonly broker: RunningBroker;
  /** The file's temporary directory. */
  readonly dir: string;
}

/** Registers the test file's hooks: a broker and a temporary directory named `<prefix>XXXXXX`, stopped and removed after the tests. */
export function connectSuite(prefix: string): ConnectSuite {
  let broker: RunningBroker | undefined;
  let dir: string | undefined;
  before(async () => {
    broker = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG } });
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get broker() {
      if (broker === undefined) throw new Error('the broker is not started (used outside a test?)');
      return broker;
    },
    get dir() {
      if (dir === undefined) throw new Error('the directory is not made (used outside a test?)');
      return dir;
    },
  };
}

/** The non-empty lines of a file ([] while it does not exist). */
export const fileLines = (f: string): string[] => {
  try {
    return readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
};
