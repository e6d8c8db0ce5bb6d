/**
 * samsa/streams with processing.guarantee exactly_once_v2 against a real broker: the word count's
 * output, changelog records and input offsets are committed in transactions (the output read
 * read_committed with kafkajs equals the counts computed from the input, and every key's updates
 * are exactly 1, 2, ..., n); the word-count example run as a child process and killed with
 * SIGKILL while it works, then restarted, still gives each key exactly the updates 1..n (no
 * duplicate, no loss) in the committed output, with its stores restored from the changelogs.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { wordCountTopology } from '../../examples/word-count.js';
import { KafkaStreams } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, tableEquals, until, type OutRecord, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;
const children: ChildProcess[] = [];

before(async () => {
  env = await startEnv();
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await env?.stop();
});

function counts(lines: readonly string[]): Map<string, string | null> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.toLowerCase().split(/[^a-z0-9_]+/)) if (w !== '') m.set(w, (m.get(w) ?? 0) + 1);
  return new Map([...m].map(([k, n]) => [k, String(n)]));
}

/** Keys whose updates in the output are not exactly 1, 2, ..., n in order (a duplicate or a gap). */
function brokenSequences(records: readonly OutRecord[]): string[] {
  const seen = new Map<string, number[]>();
  const ordered = [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  for (const r of ordered) if (r.key !== null) seen.set(r.key, [...(seen.get(r.key) ?? []), Number(r.value)]);
  return [...seen].filter(([, vs]) => vs.some((v, i) => v !== i + 1)).map(([k, vs]) => `${k}: ${vs.slice(0, 12).join(',')}${vs.length > 12 ? ',...' : ''}`);
}

test('exactly_once_v2 word count: the committed output equals the counts, each key updated exactly 1..n', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'eos-in', numPartitions: 2 }, { topic: 'eos-out', numPartitions: 2 }] });
  const lines = Array.from({ length: 200 }, (_, i) => `w${i % 13} w${i % 7} x${i % 3}`);
  await env.producer.send({ topic: 'eos-in', messages: lines.map((value, i) => ({ key: `l${i}`, value })) });
  const errors: unknown[] = [];
  const app = new KafkaStreams(wordCountTopology('eos-in', 'eos-out'), { applicationId: 'eos-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 100, processingGuarantee: 'exactly_once_v2', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, onError: (e) => errors.push(e) });
  await app.start();
  const want = counts(lines);
  try {
    const got = await readUntil(env.kafka, 'eos-out', (rs) => tableEquals(lastValues(rs), want), 90_000);
    assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want));
    assert.deepEqual(brokenSequences(got), []);
    const offsets = await env.admin.fetchOffsets({ groupId: 'eos-app', topics: ['eos-in'] });
    const committed = offsets[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0);
    await until('the input offsets committed in the transactions', async () => (await env.admin.fetchOffsets({ groupId: 'eos-app', topics: ['eos-in'] }))[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0) === lines.length, 30_000, () => `committed ${committed}`);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
  assert.equal(app.abortedTransactions, 0);
});

const EXAMPLE = resolve('dist/examples/word-count.js');

function startExample(bootstrap: string, stateDir: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [EXAMPLE, '--bootstrap-server', bootstrap, '--input', 'crash-in', '--output', 'crash-out', '--application-id', 'crash-app', '--state-dir', stateDir, '--commit-interval-ms', '100', '--processing-guarantee', 'exactly_once_v2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

const killed = (c: ChildProcess): Promise<void> =>
  new Promise((r) => {
    if (c.exitCode !== null || c.signalCode !== null) r();
    else {
      c.once('exit', () => r());
      c.kill('SIGKILL');
    }
  });

test('exactly_once_v2 survives kill -9: after restarts the committed output has each key updated exactly 1..n', { timeout: 300_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'crash-in', numPartitions: 2 }, { topic: 'crash-out', numPartitions: 2 }] });
  const lines = Array.from({ length: 20_000 }, (_, i) => `k${i % 50} k${(i * 7) % 31} z${i % 11}`);
  for (let i = 0; i < lines.length; i += 2_000) await env.producer.send({ topic: 'crash-in', messages: lines.slice(i, i + 2_000).map((value, j) => ({ key: `l${i + j}`, value })) });
  const want = counts(lines);
  const wordsTotal = [...want.values()].reduce((n, v) => n + Number(v), 0);
  const stateDir = join(env.stateDir, 'crash');
  let kills = 0;
  const started = Date.now();
  for (let round = 0; round < 2; round++) {
    const app = startExample(env.broker.bootstrap, stateDir);
    // Let it commit part of the work, then kill it mid-stream.
    const target = Math.floor((wordsTotal * (round + 1)) / 4);
    const seen = await readUntil(env.kafka, 'crash-out', (rs) => rs.length >= target, 120_000);
    assert.ok(seen.length >= target, `round ${round}: ${seen.length} committed updates, wanted ${target}; app output: ${app.output().slice(-2_000)}`);
    await killed(app.child);
    kills++;
  }
  const last = startExample(env.broker.bootstrap, stateDir);
  const got = await readUntil(env.kafka, 'crash-out', (rs) => tableEquals(lastValues(rs), want), 180_000);
  const elapsed = Date.now() - started;
  await killed(last.child);
  assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want), last.output().slice(-2_000));
  assert.deepEqual(brokenSequences(got), [], 'a key with a duplicate or missing update');
  assert.equal(got.length, wordsTotal, 'one committed update per word occurrence');
  process.stdout.write(`# exactly_once_v2 crash test: ${lines.length} lines, ${wordsTotal} updates, ${kills} kill -9, ${elapsed} ms in all\n`);
});
