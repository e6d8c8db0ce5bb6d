/**
 * A real etcd for a test (src/cluster/etcd/etcd-process.ts: Debian's etcd-server, /usr/bin/etcd,
 * or `etcd` on PATH, on a temporary data dir and free ports, ready when /health answers). When
 * etcd is not installed startEtcd() throws (the test fails with the reason; it is never skipped).
 * Start once per test file and share it (useEtcd): tests keep apart by using their own key prefix.
 * `useEtcd(hooks, {members: 3})` starts a three-member etcd (endpoints: the three client URLs);
 * `fx.etcd.members[i].kill()` / `.start()` take a member down and back on its data (etcd outages).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { startEtcdCluster, type EtcdProcess } from '../../src/cluster/etcd/etcd-process.js';
import type { MetadataImage } from '../../src/metadata/image.js';
import type { MetadataStore } from '../../src/metadata/store.js';

export { etcdBinary, startEtcd, startEtcdCluster, type EtcdMember, type EtcdProcess } from '../../src/cluster/etcd/etcd-process.js';

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * One etcd for a test file: started in before(), stopped in after(), with a fresh key prefix per
 * call of prefix() and every session and store opened through it closed in after().
 */
export interface EtcdFixture {
  readonly etcd: EtcdProcess;
  prefix(): string;
  /** Registers something to close in after() (before etcd stops). */
  closeLater(c: () => unknown): void;
}

export function useEtcd(hooks: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void }, opts: { members?: number } = {}): EtcdFixture {
  let etcd: EtcdProcess | undefined;
  let n = 0;
  const closers: (() => unknown)[] = [];
  hooks.before(async () => {
    etcd = await startEtcdCluster(opts.members ?? 1);
    console.log(`# etcd (${opts.members ?? 1} member(s)) started in ${etcd.startMs} ms at ${etcd.endpoints}`);
  });
  hooks.after(async () => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch {
        // closing after the test: already closed or etcd gone
      }
    }
    await etcd?.stop();
  });
  return {
    get etcd(): EtcdProcess {
      if (etcd === undefined) throw new Error('etcd is not started (use the fixture inside a test)');
      return etcd;
    },
    prefix: () => `/samsa-test-${process.pid}-${++n}`,
    closeLater: (c) => {
      closers.push(c);
    },
  };
}

export interface LeaseHolder {
  /** The JSON line it printed once it held the lease. */
  readonly ready: Record<string, number>;
  /** SIGKILL: keep-alives stop, the lease expires after its TTL. */
  kill(): Promise<void>;
}

/** Runs test/helpers/etcd-lease-holder.ts in a child process (so a test can kill -9 the holder). */
export async function holdLease(endpoints: string, prefix: string, mode: 'register' | 'campaign', nodeId: number, ttlMs: number): Promise<LeaseHolder> {
  const script = new URL('./etcd-lease-holder.js', import.meta.url);
  const child = spawn(process.execPath, [script.pathname, endpoints, prefix, mode, String(nodeId), String(ttlMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const onExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const kill = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  };
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lease holder not ready within 20 s; stderr:\n${err}`)), 20_000);
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`lease holder exited (${code}); stderr:\n${err}`));
      });
    });
    return { ready: JSON.parse(line) as Record<string, number>, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}

/** Resolves with `store`'s image once it satisfies `cond` (checked at once, then on every image of its watch); rejects after `ms`. */
export function imageWhen(store: MetadataStore, cond: (i: MetadataImage) => boolean, what: string, ms: number): Promise<MetadataImage> {
  if (cond(store.image())) return Promise.resolve(store.image());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const stop = store.watch((image) => {
      if (!cond(image)) return;
      clearTimeout(timer);
      stop();
      resolve(image);
    });
  });
}
