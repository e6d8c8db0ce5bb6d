/**
 * Issue 19 must-show 3: registry state lives in `_schemas`, so it survives a broker restart and a
 * kill -9 (broker as a child process, registry in it); concurrent registrations of the same
 * schemas through two `samsa registry` processes (one primary, the other forwarding) get one id
 * each; two brokers of an etcd cluster, each serving the registry, return the same ids.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { captureChildOutput } from '../helpers/log-capture.js';
import { startBroker } from '../../src/index.js';
import type { RunningRegistry } from '../../src/registry/registry.js';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, FAST_CLUSTER_CONFIG } from '../helpers/cluster.js';
import { sr } from '../helpers/registry.js';
import { waitFor } from '../helpers/wire.js';

const fx = useEtcd({ before, after });

const schema = (i: number): string => JSON.stringify({ type: 'record', name: `T${i}`, fields: [{ name: 'f', type: 'int' }] });
const REGISTRY_OVERRIDES = { 'schema.registry.listeners': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': 0 };

/** The registry URL a broker or registry process printed ("Schema registry on http://..."). */
async function registryUrl(output: () => string, what: string): Promise<string> {
  return waitFor(() => /Schema registry on (http:\/\/\S+)/.exec(output())?.[1], 60_000, `${what} to print its schema registry URL`, 50);
}

async function register(url: string, subject: string, s: string): Promise<number> {
  const a = await sr(url, 'POST', `/subjects/${subject}/versions`, { schema: s });
  assert.equal(a.status, 200, `register ${subject} at ${url}: ${JSON.stringify(a.body)}`);
  return (a.body as { id: number }).id;
}

test('registry state survives a clean broker restart and a kill -9 (ids, versions, configs; no id reused)', { timeout: 180_000 }, async (t) => {
  const dataDir = tempDir('samsa-sr-');
  let broker: BrokerProcess | null = null;
  t.after(async () => {
    await broker?.kill();
    removeDir(dataDir);
  });
  broker = await startBrokerProcess({ dataDir, overrides: REGISTRY_OVERRIDES });
  let url = await registryUrl(() => (broker as BrokerProcess).output(), 'broker');
  const ids = [await register(url, 'dur-a', schema(1)), await register(url, 'dur-b', schema(2)), await register(url, 'dur-c', schema(1))];
  assert.deepEqual(ids, [1, 2, 1]);
  assert.equal((await sr(url, 'PUT', '/config/dur-a', { compatibility: 'NONE' })).status, 200);
  assert.equal((await sr(url, 'DELETE', '/subjects/dur-b/versions/1')).status, 200);

  const check = async (u: string, more: string[] = []): Promise<void> => {
    assert.deepEqual((await sr(u, 'GET', '/subjects')).body, ['dur-a', 'dur-c', ...more]);
    assert.deepEqual((await sr(u, 'GET', '/subjects?deleted=true')).body, ['dur-a', 'dur-b', 'dur-c', ...more]);
    assert.deepEqual((await sr(u, 'GET', '/schemas/ids/1')).body, { schema: schema(1) });
    assert.deepEqual((await sr(u, 'GET', '/schemas/ids/2')).body, { schema: schema(2) });
    assert.deepEqual((await sr(u, 'GET', '/config/dur-a')).body, { compatibilityLevel: 'NONE' });
  };

  assert.equal(await broker.stop(), 0);
  broker = await startBrokerProcess({ dataDir, overrides: REGISTRY_OVERRIDES });
  url = await registryUrl(() => (broker as BrokerProcess).output(), 'restarted broker');
  await check(url);
  assert.equal(await register(url, 'dur-d', schema(3)), 3, 'the next id follows the largest stored one');

  await broker.kill();
  broker = await startBrokerProcess({ dataDir, overrides: REGISTRY_OVERRIDES });
  url = await registryUrl(() => (broker as BrokerProcess).output(), 'broker after kill -9');
  await check(url, ['dur-d']);
  assert.deepEqual((await sr(url, 'GET', '/subjects/dur-d/versions/1')).body, { subject: 'dur-d', version: 1, id: 3, schema: schema(3) });
  assert.equal(await register(url, 'dur-e', schema(4)), 4);
  assert.equal(await register(url, 'dur-f', schema(3)), 3);
});

interface RegistryProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function startRegistryProcess(bootstrap: string): Promise<RegistryProcess> {
  const child = spawn(process.execPath, [CLI, 'registry', '--bootstrap-server', bootstrap, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  captureChildOutput(`registry process ${child.pid ?? '?'}`, () => out);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await registryUrl(() => out, 'samsa registry');
    return { child, url, stop };
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
}

test('concurrent registrations of the same schemas through two registry processes get one id each', { timeout: 180_000 }, async (t) => {
  const broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => broker.stop());
  const [p1, p2] = await Promise.all([startRegistryProcess(broker.bootstrap), startRegistryProcess(broker.bootstrap)]);
  t.after(async () => {
    await p1?.stop();
    await p2?.stop();
  });
  const a = p1 as RegistryProcess;
  const b = p2 as RegistryProcess;
  // Both know the primary before the race (a write waits for one anyway).
  await waitFor(async () => (await sr(a.url, 'POST', '/subjects/warm/versions', { schema: '"string"' })).status === 200 || undefined, 60_000, 'a first write');
  const n = 12;
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => [register(a.url, `race-${i}-a`, schema(100 + i)), register(b.url, `race-${i}-b`, schema(100 + i)), register(b.url, `race-${i}-a`, schema(100 + i))]).flat(),
  );
  console.log(`${results.length} concurrent registrations through two registry processes in ${Date.now() - started} ms`);
  const byschema = new Map<number, Set<number>>();
  results.forEach((id, k) => {
    const i = Math.floor(k / 3);
    byschema.set(i, (byschema.get(i) ?? new Set()).add(id));
  });
  for (const [i, set] of byschema) assert.equal(set.size, 1, `schema ${i} got ids ${[...set].join(', ')}`);
  const distinct = new Set([...byschema.values()].map((s) => [...s][0]));
  assert.equal(distinct.size, n, 'distinct schemas got distinct ids');
  // Both processes agree on every subject.
  for (let i = 0; i < n; i++) {
    const va = await sr(a.url, 'GET', `/subjects/race-${i}-a/versions`);
    const vb = await sr(b.url, 'GET', `/subjects/race-${i}-a/versions`);
    assert.deepEqual(va.body, [1]);
    assert.deepEqual(vb.body, [1]);
  }
  // kill -9 of one process: the other is (or becomes, after the session timeout) the primary and
  // keeps assigning ids after the largest one, never reusing one.
  const primaryOf = async (p: RegistryProcess): Promise<boolean> => ((await sr(p.url, 'GET', '/samsa/primary')).body as { isPrimary: boolean }).isPrimary;
  const [aPrimary, bPrimary] = [await primaryOf(a), await primaryOf(b)];
  assert.notEqual(aPrimary, bPrimary, 'exactly one primary');
  const [victim, survivor] = aPrimary ? [a, b] : [b, a];
  victim.child.kill('SIGKILL');
  await victim.stop();
  const killedAt = Date.now();
  const next = await waitFor(async () => {
    const r = await sr(survivor.url, 'POST', '/subjects/after-kill/versions', { schema: schema(999) });
    return r.status === 200 ? (r.body as { id: number }).id : undefined;
  }, 60_000, 'a write through the surviving registry process', 250);
  console.log(`the surviving registry process accepted a write ${Date.now() - killedAt} ms after the primary was killed (session timeout 10 s)`);
  assert.equal(await primaryOf(survivor), true);
  assert.equal(next, Math.max(...results) + 1);
});

test('the brokers of an etcd cluster serve one registry: same ids through any of them, writes forwarded to the primary', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { ...FAST_CLUSTER_CONFIG, 'schema.registry.listeners': 'http://127.0.0.1:0' } });
  t.after(() => cluster.stop());
  t.after(() => {
    if (!r1ok) console.log(cluster.dumpLogs().split('\n').filter((l) => /registry|election|_schemas|schema-registry/.test(l)).slice(-60).join('\n'));
  });
  let r1ok = false;
  const regs = await Promise.all([1, 2, 3].map((n) => cluster.broker(n).broker.schemaRegistry as Promise<RunningRegistry>));
  for (const r of regs) assert.ok(await r.waitForPrimary(60_000), `registry ${r.url} learns the primary`);
  r1ok = true;
  assert.equal(regs.filter((r) => r.isPrimary).length, 1, 'exactly one primary');
  const [r1, r2, r3] = regs as [RunningRegistry, RunningRegistry, RunningRegistry];
  const id1 = await register(r1.url, 'cl-a', schema(1));
  const id2 = await register(r2.url, 'cl-b', schema(2));
  assert.equal(await register(r2.url, 'cl-c', schema(1)), id1);
  assert.equal(await register(r3.url, 'cl-d', schema(2)), id2);
  assert.notEqual(id1, id2);
  for (const r of regs) {
    assert.deepEqual((await sr(r.url, 'GET', `/schemas/ids/${id1}`)).body, { schema: schema(1) });
    assert.deepEqual((await sr(r.url, 'GET', '/subjects')).body, ['cl-a', 'cl-b', 'cl-c', 'cl-d']);
  }
});
