/**
 * The `samsa` client commands, run as child processes against a broker process: every command's
 * help, its normal output (table and --json), and at least one error case with its exit code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess, type RunResult } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess();
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function samsa(args: string[], opts: { input?: string; bootstrap?: boolean; timeoutMs?: number } = {}): Promise<Out> {
  const full = opts.bootstrap === false ? args : [...args, '--bootstrap-server', broker.bootstrap];
  const r: RunResult = await runProcess(process.execPath, [CLI, ...full], { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  assert.equal(r.timedOut, false, `samsa ${args.join(' ')} timed out\n${r.stderr}`);
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

function ok(r: Out, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

function jsonLines(s: string): Record<string, unknown>[] {
  return s
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('samsa CLI', { concurrency: 3 }, () => {
describe('help', { concurrency: 3 }, () => {
  const commands = [['topics'], ['topics', 'list'], ['topics', 'create'], ['topics', 'describe'], ['topics', 'delete'], ['topics', 'alter-partitions'], ['produce'], ['consume'], ['perf'], ['perf', 'produce'], ['perf', 'consume']];
  for (const c of commands) {
    test(`samsa ${c.join(' ')} --help`, async () => {
      const r = await samsa([...c, '--help'], { bootstrap: false });
      ok(r, c.join(' '));
      assert.match(r.stdout, /^Usage: samsa /);
    });
  }

  test('samsa --help lists the client commands', async () => {
    const r = await samsa(['--help'], { bootstrap: false });
    ok(r, 'help');
    for (const c of ['topics', 'produce', 'consume', 'perf']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  });

  test('unknown option names the option, suggests a fix and exits 2', async () => {
    const r = await samsa(['topics', 'list', '--bootstrap-sever', 'x:1'], { bootstrap: false });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--bootstrap-sever'/);
    assert.match(r.stderr, /Did you mean '--bootstrap-server'/);
  });

  test('unknown subcommand exits 2', async () => {
    const r = await samsa(['topics', 'frobnicate'], { bootstrap: false });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  test('unreachable cluster: exit 1 with a hint', async () => {
    const r = await samsa(['topics', 'list', '--bootstrap-server', '127.0.0.1:1', '--timeout', '2000'], { bootstrap: false });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot connect to the cluster at 127\.0\.0\.1:1/);
    assert.match(r.stderr, /hint:/);
  });
});

describe('topics', { concurrency: 2 }, () => {
  test('create, list, describe, alter-partitions, delete', async () => {
    let r = await samsa(['topics', 'create', '--topic', 'cli-a', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=123456']);
    ok(r, 'create');
    assert.match(r.stdout, /Created topic cli-a \(3 partitions, replication factor 1\)/);

    r = await samsa(['topics', 'list']);
    ok(r, 'list');
    assert.match(r.stdout, /^TOPIC\s+PARTITIONS\s+REPLICATION-FACTOR\s+TOPIC-ID/);
    assert.match(r.stdout, /\ncli-a\s+3\s+1\s+[A-Za-z0-9_-]{22}/); // Kafka prints topic ids in base64

    r = await samsa(['topics', 'list', '--json']);
    ok(r, 'list --json');
    const listed = JSON.parse(r.stdout) as { name: string; partitions: number }[];
    assert.deepEqual(listed.find((t) => t.name === 'cli-a')?.partitions, 3);

    r = await samsa(['topics', 'describe', '--topic', 'cli-a']);
    ok(r, 'describe');
    assert.match(r.stdout, /Topic: cli-a\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1/);
    assert.match(r.stdout, /Configs: .*retention\.ms=123456/);
    assert.match(r.stdout, /PARTITION\s+LEADER\s+LEADER-EPOCH\s+REPLICAS\s+ISR/);

    r = await samsa(['topics', 'alter-partitions', '--topic', 'cli-a', '--partitions', '5']);
    ok(r, 'alter-partitions');
    r = await samsa(['topics', 'describe', '--topic', 'cli-a', '--json']);
    ok(r, 'describe --json');
    const [d] = JSON.parse(r.stdout) as { partitionCount: number; partitions: { partition: number; leader: number }[]; configs: Record<string, string> }[];
    assert.equal(d?.partitionCount, 5);
    assert.deepEqual(d?.partitions.map((p) => p.partition), [0, 1, 2, 3, 4]);
    assert.equal(d?.configs['retention.ms'], '123456');

    r = await samsa(['topics', 'delete', '--topic', 'cli-a']);
    ok(r, 'delete');
    assert.match(r.stdout, /Deleted topic cli-a/);
    r = await samsa(['topics', 'list', '--json']);
    assert.equal((JSON.parse(r.stdout) as { name: string }[]).some((t) => t.name === 'cli-a'), false);
  });

  test('create an existing topic: exit 1 naming TOPIC_ALREADY_EXISTS; --if-not-exists succeeds', async () => {
    ok(await samsa(['topics', 'create', '--topic', 'cli-dup', '--partitions', '1']), 'create');
    let r = await samsa(['topics', 'create', '--topic', 'cli-dup', '--partitions', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TOPIC_ALREADY_EXISTS/);
    assert.match(r.stderr, /hint:/);
    r = await samsa(['topics', 'create', '--topic', 'cli-dup', '--if-not-exists']);
    ok(r, 'create --if-not-exists');
  });

  test('create without --topic or with a bad partition count: exit 2', async () => {
    let r = await samsa(['topics', 'create']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Missing required option --topic/);
    r = await samsa(['topics', 'create', '--topic', 'x', '--partitions', 'many']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--partitions expects an integer/);
  });

  test('describe and delete of a missing topic: exit 1; delete --if-exists succeeds', async () => {
    let r = await samsa(['topics', 'describe', '--topic', 'cli-missing']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cli-missing/);
    r = await samsa(['topics', 'delete', '--topic', 'cli-missing']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    r = await samsa(['topics', 'delete', '--topic', 'cli-missing', '--if-exists']);
    ok(r, 'delete --if-exists');
  });

  test('alter-partitions to fewer partitions: exit 1 naming INVALID_PARTITIONS', async () => {
    ok(await samsa(['topics', 'create', '--topic', 'cli-shrink', '--partitions', '3']), 'create');
    const r = await samsa(['topics', 'alter-partitions', '--topic', 'cli-shrink', '--partitions', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_PARTITIONS/);
  });
});

describe('produce and consume', { concurrency: 1 }, () => {
  before(async () => {
    ok(await samsa(['topics', 'create', '--topic', 'cli-pc', '--partitions', '3']), 'create cli-pc');
  });

  test('keyed lines with Kafka-style properties and headers, read back in every format', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
    let r = await samsa(['produce', '--topic', 'cli-pc', '--property', 'parse.key=true', '--property', 'key.separator=:', '--header', 'origin=cli', '--compression', 'gzip', '--json'], { input: lines });
    ok(r, 'produce');
    const summary = JSON.parse(r.stdout) as { records: number };
    assert.equal(summary.records, 30);

    r = await samsa(['consume', '--topic', 'cli-pc', '--from-beginning', '--max-messages', '30', '--json']);
    ok(r, 'consume --json');
    const recs = jsonLines(r.stdout);
    assert.equal(recs.length, 30);
    const byKey = new Map(recs.map((x) => [x['key'] as string, x]));
    for (let i = 0; i < 30; i++) {
      const rec = byKey.get(`k${i}`);
      assert.ok(rec, `record k${i}`);
      assert.equal(rec['value'], `v${i}`);
      assert.deepEqual(rec['headers'], { origin: 'cli' });
      assert.equal(rec['topic'], 'cli-pc');
      assert.equal(typeof rec['offset'], 'number');
      assert.equal(typeof rec['timestamp'], 'number');
    }
    // Same key, same partition (Java's murmur2 placement); a second produce keeps per-key order.
    const partOf = new Map(recs.map((x) => [x['key'] as string, x['partition'] as number]));
    assert.equal(new Set(partOf.values()).size > 1, true, 'keys spread over partitions');
    assert.match(r.stderr, /Processed a total of 30 messages/);

    r = await samsa(['consume', '--topic', 'cli-pc', '--from-beginning', '--max-messages', '30', '--format', 'key-value', '--key-separator', '=']);
    ok(r, 'consume key-value');
    const kv = r.stdout.trim().split('\n').sort();
    assert.equal(kv.length, 30);
    assert.ok(kv.includes('k7=v7'));

    r = await samsa(['consume', '--topic', 'cli-pc', '--from-beginning', '--max-messages', '30']);
    ok(r, 'consume value');
    assert.ok(r.stdout.trim().split('\n').includes('v12'));
  });

  test('--partition with --offset, and --timestamp', async () => {
    const before = Date.now();
    ok(await samsa(['produce', '--topic', 'cli-pc', '--partition', '2'], { input: 'p2-a\np2-b\np2-c\n' }), 'produce to partition 2');
    let r = await samsa(['consume', '--topic', 'cli-pc', '--partition', '2', '--offset', 'earliest', '--timeout-ms', '1500', '--json']);
    ok(r, 'consume partition 2');
    const all = jsonLines(r.stdout);
    assert.ok(all.every((x) => x['partition'] === 2));
    const tail = all.slice(-3).map((x) => x['value']);
    assert.deepEqual(tail, ['p2-a', 'p2-b', 'p2-c']);
    const off = all[all.length - 2]?.['offset'] as number;

    r = await samsa(['consume', '--topic', 'cli-pc', '--partition', '2', '--offset', String(off), '--max-messages', '2']);
    ok(r, 'consume --offset');
    assert.deepEqual(r.stdout.trim().split('\n'), ['p2-b', 'p2-c']);

    r = await samsa(['consume', '--topic', 'cli-pc', '--partition', '2', '--timestamp', String(before - 5), '--max-messages', '3']);
    ok(r, 'consume --timestamp');
    assert.deepEqual(r.stdout.trim().split('\n'), ['p2-a', 'p2-b', 'p2-c']);

    r = await samsa(['consume', '--topic', 'cli-pc', '--partition', '2', '--timestamp', String(Date.now() + 3_600_000), '--timeout-ms', '800']);
    ok(r, 'consume --timestamp in the future');
    assert.equal(r.stdout, '');
  });

  test('default start is the end of the log; --timeout-ms exits', async () => {
    const r = await samsa(['consume', '--topic', 'cli-pc', '--timeout-ms', '700']);
    ok(r, 'consume latest');
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Processed a total of 0 messages/);
  });

  test('errors: missing topic, bad key separator input, conflicting options', async () => {
    // (Producing to a missing topic follows auto.create.topics.enable: test/cli/robustness.test.ts.)
    let r = await samsa(['produce', '--topic', 'cli-pc', '--key-separator', ':'], { input: 'no separator here\n' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Line 1: no key separator/);

    r = await samsa(['produce', '--topic', 'cli-pc', '--compression', 'brotli'], { input: '' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown compression 'brotli'/);

    r = await samsa(['consume', '--topic', 'cli-none', '--from-beginning', '--timeout-ms', '500']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cli-none/);

    r = await samsa(['consume', '--topic', 'cli-pc', '--from-beginning', '--offset', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot be combined/);

    r = await samsa(['consume', '--topic', 'cli-pc', '--partition', '9', '--from-beginning']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Partition 9 does not exist/);
  });

  test('--group consumes and commits', async () => {
    ok(await samsa(['topics', 'create', '--topic', 'cli-grp', '--partitions', '2']), 'create');
    ok(await samsa(['produce', '--topic', 'cli-grp'], { input: 'g1\ng2\ng3\ng4\n' }), 'produce');
    let r = await samsa(['consume', '--topic', 'cli-grp', '--group', 'cli-g', '--from-beginning', '--max-messages', '4'], { timeoutMs: 60_000 });
    ok(r, 'group consume');
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['g1', 'g2', 'g3', 'g4']);
    ok(await samsa(['produce', '--topic', 'cli-grp'], { input: 'g5\n' }), 'produce more');
    r = await samsa(['consume', '--topic', 'cli-grp', '--group', 'cli-g', '--from-beginning', '--max-messages', '1'], { timeoutMs: 60_000 });
    ok(r, 'group consume resumes from the committed offsets');
    assert.equal(r.stdout.trim(), 'g5');
  });
});

describe('perf', { concurrency: 1 }, () => {
  before(async () => {
    ok(await samsa(['topics', 'create', '--topic', 'cli-perf', '--partitions', '2']), 'create cli-perf');
  });

  test('perf produce then perf consume report throughput and latency', async () => {
    let r = await samsa(['perf', 'produce', '--topic', 'cli-perf', '--num-records', '3000', '--record-size', '200', '--acks', 'all', '--json']);
    ok(r, 'perf produce');
    const p = JSON.parse(r.stdout) as { records: number; recordsPerSec: number; mbPerSec: number; latencyMs: { p50: number; p99: number; max: number } };
    assert.equal(p.records, 3000);
    assert.ok(p.recordsPerSec > 0 && p.mbPerSec > 0);
    assert.ok(p.latencyMs.p50 > 0 && p.latencyMs.p50 <= p.latencyMs.p99 && p.latencyMs.p99 <= p.latencyMs.max);

    r = await samsa(['perf', 'produce', '--topic', 'cli-perf', '--num-records', '500', '--throughput', '1000']);
    ok(r, 'perf produce (table, throttled)');
    assert.match(r.stdout, /500 records sent, [\d,.]+ records\/sec \([\d.]+ MB\/sec\)/);
    assert.match(r.stdout, /RECORDS\s+SIZE\s+ACKS\s+ELAPSED-S\s+RECORDS\/S\s+MB\/S\s+AVG-MS\s+P50-MS/);

    r = await samsa(['perf', 'consume', '--topic', 'cli-perf', '--messages', '3500', '--timeout', '5000', '--json']);
    ok(r, 'perf consume');
    const c = JSON.parse(r.stdout) as { records: number; bytes: number };
    assert.equal(c.records, 3500);
    assert.equal(c.bytes, 3000 * 200 + 500 * 100);

    r = await samsa(['perf', 'consume', '--topic', 'cli-perf', '--messages', '3500', '--timeout', '5000']);
    ok(r, 'perf consume (table)');
    assert.match(r.stdout, /RECORDS\s+MB\s+ELAPSED-S\s+RECORDS\/S\s+MB\/S\n\s*3500 /);
  });

  test('perf errors: missing topic exits 1, bad numbers exit 2, too few records exits 1', async () => {
    let r = await samsa(['perf', 'produce', '--topic', 'cli-perf-none', '--num-records', '10']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cli-perf-none/);
    r = await samsa(['perf', 'produce', '--topic', 'cli-perf', '--record-size', '-5']);
    assert.equal(r.code, 2);
    r = await samsa(['perf', 'consume', '--topic', 'cli-perf', '--messages', '999999', '--timeout', '500']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /only \d+ of 999999 records arrived/);
    r = await samsa(['perf', 'sideways'], { bootstrap: false });
    assert.equal(r.code, 2);
  });
});
});
