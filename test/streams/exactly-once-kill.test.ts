/**
 * Issue 21, must-show 2: two instances of an exactly_once_v2 count application (child processes,
 * test/streams/eos-count-app.ts) share the input while one of them is killed with SIGKILL again
 * and again and restarted on its state directory. The read_committed output (read with kcat,
 * librdkafka, independent of src/client) holds, for every key, exactly the updates 1, 2, ..., n in
 * order, n being the key's count computed in the test from the input: no duplicate, no loss. After
 * each restart the killed instance restores its tasks' stores from the changelogs (no checkpoint
 * survives a kill under exactly_once_v2); the restore figures are printed.
 *
 * STREAMS_EOS_RECORDS (default 100,000) sets the input size (1,000,000 for the issue's figure),
 * STREAMS_EOS_KILLS (default 3) the number of kills.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startEnv, until, type StreamsEnv } from './helpers.js';

const RECORDS = Number(process.env['STREAMS_EOS_RECORDS'] ?? 100_000);
const KILLS = Number(process.env['STREAMS_EOS_KILLS'] ?? 3);
const KEYS = 1_000;
const PARTITIONS = 4;
const APP = resolve('dist/test/streams/eos-count-app.js');

let env: StreamsEnv;
const children = new Set<ChildProcess>();

before(async () => {
  env = await startEnv();
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await env?.stop();
});

interface Instance {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

function startInstance(name: string): Instance {
  const child = spawn(process.execPath, [APP, '--bootstrap-server', env.broker.bootstrap, '--input', 'eosk-in', '--output', 'eosk-out', '--application-id', 'eosk-app', '--state-dir', join(env.stateDir, name)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => children.delete(child));
  return { child, output: () => out, exited };
}

async function kill(i: Instance): Promise<void> {
  if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
  await i.exited;
}

/** Restore lines printed by an instance: task, records, ms. */
function restores(i: Instance): { task: string; records: number; ms: number }[] {
  return [...i.output().matchAll(/^restored (\S+) (\d+) (\d+) /gm)].map((m) => ({ task: m[1] as string, records: Number(m[2]), ms: Number(m[3]) }));
}

async function committedInput(): Promise<number> {
  const offsets = await env.admin.fetchOffsets({ groupId: 'eosk-app', topics: ['eosk-in'] });
  return (offsets[0]?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/** A whole topic read read_committed by kcat: partition, key, value per record, in offset order per partition. */
function readTopic(topic: string): Promise<{ partition: number; key: string; value: string }[]> {
  return new Promise((res, rej) => {
    const kcat = spawn('kcat', ['-C', '-b', env.broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%p %k %s\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    kcat.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    kcat.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    kcat.once('error', rej);
    kcat.once('exit', (code) => {
      if (code !== 0) rej(new Error(`kcat exited ${code}: ${err}`));
      else
        res(
          out
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => {
              const [p, key, value] = l.split(' ');
              return { partition: Number(p), key: key ?? '', value: value ?? '' };
            }),
        );
    });
  });
}

test(`exactly_once_v2, two instances, ${KILLS} × kill -9 of one: the committed output has every key's updates exactly 1..n (${RECORDS.toLocaleString('en-US')} records)`, { timeout: 1_800_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'eosk-in', numPartitions: PARTITIONS }, { topic: 'eosk-out', numPartitions: PARTITIONS }] });
  const keyOf = (i: number): string => `k${(i * 7) % KEYS}`;
  // Idempotent: a send retried on a slow machine must not write input records twice.
  const producer = env.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let produced = 0;
  const produceUpTo = async (n: number): Promise<void> => {
    for (; produced < n; ) {
      const sends: Promise<unknown>[] = [];
      for (let k = 0; k < 4 && produced < n; k++) {
        const from = produced;
        const to = Math.min(n, from + 10_000);
        produced = to;
        sends.push(producer.send({ topic: 'eosk-in', messages: Array.from({ length: to - from }, (_, j) => ({ key: keyOf(from + j), value: String(from + j) })) }));
      }
      await Promise.all(sends);
    }
  };
  const started = Date.now();
  let victim = startInstance('victim');
  const survivor = startInstance('survivor');
  const restarts: { kill: number; atCommitted: number; records: number; ms: number; tasks: number }[] = [];
  try {
    await until('both instances running', () => /running/.test(victim.output()) && /running/.test(survivor.output()), 60_000, () => victim.output() + survivor.output());
    for (let k = 0; k < KILLS; k++) {
      // Another slice of input; the victim dies once part of it is committed (work of its own is in flight).
      await produceUpTo(Math.floor((RECORDS * (k + 1)) / (KILLS + 1)));
      const target = Math.floor(produced * 0.6);
      await until(`the input committed up to ${target}`, async () => (await committedInput()) >= target, 300_000, () => victim.output().slice(-2_000) + survivor.output().slice(-2_000));
      const atCommitted = await committedInput();
      await kill(victim);
      victim = startInstance('victim');
      await until('the restarted instance to run and restore its tasks', () => restores(victim).length > 0, 120_000, () => victim.output().slice(-2_000));
      const r = restores(victim);
      restarts.push({ kill: k + 1, atCommitted, records: r.reduce((n, x) => n + x.records, 0), ms: r.reduce((n, x) => n + x.ms, 0), tasks: r.length });
    }
    await produceUpTo(RECORDS);
    await until('the whole input committed', async () => (await committedInput()) >= RECORDS, 900_000, () => victim.output().slice(-2_000) + survivor.output().slice(-2_000));
    const processedMs = Date.now() - started;
    // The expected counts, from the input as the broker holds it.
    const input = await readTopic('eosk-in');
    assert.equal(input.length, RECORDS, 'the input holds each record once');
    const want = new Map<string, number>();
    for (const r of input) want.set(r.key, (want.get(r.key) ?? 0) + 1);
    let got = await readTopic('eosk-out');
    // A transaction committed just now may still be writing its markers: read again until complete.
    const deadline = Date.now() + 60_000;
    while (got.length < RECORDS && Date.now() < deadline) got = await readTopic('eosk-out');
    const seen = new Map<string, number>();
    const broken: string[] = [];
    for (const r of got) {
      const n = (seen.get(r.key) ?? 0) + 1;
      if (Number(r.value) !== n && broken.length < 10) broken.push(`${r.key}: update ${n} is ${r.value} (partition ${r.partition})`);
      seen.set(r.key, Number(r.value));
    }
    assert.deepEqual(broken, [], 'a key with a duplicate or missing update');
    assert.equal(got.length, RECORDS, 'one committed update per input record');
    assert.deepEqual([...seen].sort(), [...want].sort(), 'the final counts');
    for (const r of restarts) assert.ok(r.records > 0, `restart after kill ${r.kill} restored its stores from the changelogs: ${JSON.stringify(r)}`);
    const changelog = await readTopic('eosk-app-counts-changelog');
    process.stdout.write(`# exactly_once_v2 kill test: ${RECORDS} records, ${KEYS} keys, ${PARTITIONS} partitions, ${KILLS} kill -9, input processed in ${processedMs} ms; the changelog holds ${changelog.length} committed records\n`);
    for (const r of restarts) process.stdout.write(`#   kill ${r.kill} at ${r.atCommitted} committed: restart restored ${r.tasks} task(s), ${r.records} changelog records in ${r.ms} ms\n`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await kill(victim);
    await kill(survivor);
  }
});
