/**
 * A throw-away etcd process for tests and the bench: Debian's etcd-server (/usr/bin/etcd) or
 * `etcd` on PATH, a temporary data dir, free client and peer ports on 127.0.0.1, ready when its
 * /health answers (polled with a deadline). stop() kills it and removes the dir; so does the exit
 * of the process that started it. Its output is kept and shown only when the start fails.
 *
 * Kafka's rule: none — Kafka keeps cluster metadata in ZooKeeper or its own KRaft quorum and its
 * test harnesses start those in-process. Samsa keeps cluster metadata in etcd (docs/cluster.md),
 * so its tests (test/helpers/etcd.ts) and `npm run bench` (bench/run.ts, cluster section) start a
 * real etcd through this module (one member, or three for the tests of a three-node etcd);
 * a member can be killed and started again on its data (etcd outages). Nothing in the broker imports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../common/free-port.js';

export interface EtcdProcess {
  /** The client URL(s), comma separated, e.g. http://127.0.0.1:40123. */
  endpoints: string;
  /** How long the start took (spawn to healthy), in ms. */
  startMs: number;
  /** Its temporary directory (removed by stop()). */
  dir: string;
  output(): string;
  /** kill -9 of every member (the data stays), then removes the dir. */
  stop(): Promise<void>;
  /** The members (one for startEtcd(), `size` for startEtcdCluster()). */
  members: EtcdMember[];
}

/** One etcd member: killed and started again on the same data dir and ports (an etcd outage). */
export interface EtcdMember {
  readonly name: string;
  /** Its client URL. */
  readonly endpoint: string;
  readonly running: boolean;
  /** kill -9 (its data stays). */
  kill(): Promise<void>;
  /** Starts it again on its data dir and ports; resolves once it runs (health needs a quorum: not waited for). */
  start(): Promise<void>;
  /** SIGSTOP: it stops answering but its TCP connections stay open (a frozen member). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
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

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
}

function url(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Spawns one member; `output` collects what it prints. */
function spawnMember(bin: string, dir: string, m: MemberSpec, cluster: readonly MemberSpec[], state: 'new' | 'existing', output: Buffer[]): ChildProcess {
  const child = spawn(
    bin,
    [
      '--name', m.name,
      '--data-dir', join(dir, m.name),
      '--listen-client-urls', url(m.clientPort),
      '--advertise-client-urls', url(m.clientPort),
      '--listen-peer-urls', url(m.peerPort),
      '--initial-advertise-peer-urls', url(m.peerPort),
      '--initial-cluster', cluster.map((c) => `${c.name}=${url(c.peerPort)}`).join(','),
      '--initial-cluster-state', state,
      '--initial-cluster-token', `samsa-${process.pid}-${cluster[0]?.clientPort ?? 0}`,
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  child.once('error', (e) => output.push(Buffer.from(`spawn failed: ${e.message}\n`)));
  return child;
}

/** One attempt with `size` members on free ports (another process may take a port between the probe and the bind). */
async function tryStart(bin: string, size: number): Promise<EtcdProcess | { failed: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-etcd-'));
  const used = new Set<number>();
  const port = async (): Promise<number> => {
    let p = await freePort();
    while (used.has(p)) p = await freePort();
    used.add(p);
    return p;
  };
  const specs: MemberSpec[] = [];
  for (let i = 0; i < size; i++) specs.push({ name: size === 1 ? 'samsa-etcd' : `samsa-etcd-${i + 1}`, clientPort: await port(), peerPort: await port() });
  const chunks: Buffer[] = [];
  const output = (): string => Buffer.concat(chunks).toString('utf8');
  const children: (ChildProcess | null)[] = specs.map(() => null);
  const started = performance.now();
  const launch = (i: number, state: 'new' | 'existing'): void => {
    children[i] = spawnMember(bin, dir, specs[i] as MemberSpec, specs, state, chunks);
  };
  specs.forEach((_, i) => launch(i, 'new'));
  const alive = (c: ChildProcess | null): c is ChildProcess => c !== null && c.exitCode === null && c.signalCode === null;
  const killOne = async (i: number): Promise<void> => {
    const c = children[i] ?? null;
    children[i] = null;
    if (alive(c)) {
      c.kill('SIGKILL');
      await exited(c);
    }
  };
  // Should the test process end without stop() (a failed before(), an uncaught error), etcd goes too.
  const onExit = (): void => {
    for (const c of children) if (alive(c)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    await Promise.all(specs.map((_, i) => killOne(i)));
    rmSync(dir, { recursive: true, force: true });
  };
  const members: EtcdMember[] = specs.map((m, i) => ({
    name: m.name,
    endpoint: url(m.clientPort),
    get running() {
      return alive(children[i] ?? null);
    },
    kill: () => killOne(i),
    start: async () => {
      if (alive(children[i] ?? null)) return;
      launch(i, 'existing');
    },
    freeze: () => void children[i]?.kill('SIGSTOP'),
    thaw: () => void children[i]?.kill('SIGCONT'),
  }));
  const endpoints = specs.map((m) => url(m.clientPort)).join(',');
  const deadline = performance.now() + START_DEADLINE_MS;
  while (performance.now() < deadline) {
    if (children.some((c) => c === null || !alive(c))) break;
    if ((await Promise.all(specs.map((m) => healthy(url(m.clientPort))))).every(Boolean)) {
      return { endpoints, startMs: Math.round(performance.now() - started), dir, output, stop, members };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let why = `not healthy within ${START_DEADLINE_MS} ms`;
  for (const c of children) if (c !== null && (c.exitCode !== null || c.signalCode !== null)) why = `exited (${c.exitCode ?? c.signalCode})`;
  await stop();
  return { failed: `etcd ${why}; its output:\n${output()}` };
}

/** A single-member etcd. */
export function startEtcd(): Promise<EtcdProcess> {
  return startEtcdCluster(1);
}

/** An etcd cluster of `size` members on 127.0.0.1 (endpoints: every member's client URL). */
export async function startEtcdCluster(size: number): Promise<EtcdProcess> {
  const bin = etcdBinary();
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await tryStart(bin, size);
    if (!('failed' in r)) return r;
    last = r.failed;
    // A port race shows as "address already in use": try again on other ports.
    if (!last.includes('address already in use')) break;
  }
  throw new Error(`could not start etcd: ${last}`);
}
