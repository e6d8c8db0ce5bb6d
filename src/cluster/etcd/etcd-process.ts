/**
 * A throw-away etcd process for tests and the bench: Debian's etcd-server (/usr/bin/etcd) or
 * `etcd` on PATH, a temporary data dir, free client and peer ports on 127.0.0.1, ready when its
 * /health answers (polled with a deadline). stop() kills it and removes the dir; so does the exit
 * of the process that started it. Its output is kept and shown only when the start fails.
 *
 * Kafka's rule: none — Kafka keeps cluster metadata in ZooKeeper or its own KRaft quorum and its
 * test harnesses start those in-process. Samsa keeps cluster metadata in etcd (docs/cluster.md),
 * so its tests (test/helpers/etcd.ts) and `npm run bench` (bench/run.ts, cluster section) start a
 * real single-member etcd through this module. Nothing in the broker imports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface EtcdProcess {
  /** The client URL, e.g. http://127.0.0.1:40123. */
  endpoints: string;
  /** How long the start took (spawn to healthy), in ms. */
  startMs: number;
  /** Its temporary directory (removed by stop()). */
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 20_000;

/** The etcd binary: /usr/bin/etcd, else the first `etcd` on PATH; throws when there is none. */
export function etcdBinary(candidates = ['/usr/bin/etcd', ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'etcd'))]): string {
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('etcd is not installed (no /usr/bin/etcd and no etcd on PATH): install etcd-server (apt-get install etcd-server) to run the cluster tests');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: unknown };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** One attempt on two free ports (another process may take a port between the probe and the bind). */
async function tryStart(bin: string): Promise<EtcdProcess | { failed: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const started = performance.now();
  const child = spawn(
    bin,
    [
      '--name', 'samsa-etcd',
      '--data-dir', join(dir, 'data'),
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `samsa-etcd=${peer}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const output = (): string => Buffer.concat(chunks).toString('utf8');
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  // Should the test process end without stop() (a failed before(), an uncaught error), etcd goes too.
  const onExit = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + START_DEADLINE_MS;
  while (performance.now() < deadline) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) break;
    if (await healthy(client)) {
      return { endpoints: client, startMs: Math.round(performance.now() - started), dir, output, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const why = spawnError !== undefined ? `spawn failed: ${spawnError.message}` : child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `not healthy within ${START_DEADLINE_MS} ms`;
  await stop();
  return { failed: `etcd ${why}; its output:\n${output()}` };
}

export async function startEtcd(): Promise<EtcdProcess> {
  const bin = etcdBinary();
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await tryStart(bin);
    if (!('failed' in r)) return r;
    last = r.failed;
    // A port race shows as "address already in use": try again on other ports.
    if (!last.includes('address already in use')) break;
  }
  throw new Error(`could not start etcd: ${last}`);
}
