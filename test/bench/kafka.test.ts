/**
 * The bench's optional Apache Kafka section (bench/kafka.ts): skipped with its reason when no jars
 * are given, finds a libs folder and Kafka's version from the core jar, writes KRaft combined-node
 * configs, and on a broken Java records the failure and leaves nothing behind. Running real Kafka
 * needs its jars (bench/README.md), so it is not part of the tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaLibs, kafkaProperties, kafkaScenario, renderKafka, type KafkaBenchDeps } from '../../bench/kafka.js';
import type { Throughput } from '../../bench/report.js';

function withDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-kafka-bench-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function deps(work: string, kafkaHome: string | undefined, produced: string[]): KafkaBenchDeps {
  return {
    log: () => undefined,
    work,
    kafkaHome,
    recordSize: 1024,
    records: 10,
    repeats: 1,
    partitions: 6,
    produce: async (bootstrap): Promise<Throughput> => {
      produced.push(bootstrap);
      return { records: 10, bytes: 10_240, elapsedMs: 1, recordsPerSec: 10_000, mbPerSec: 10 };
    },
    onAbort: () => () => undefined,
  };
}

test('kafkaLibs: no home, or no kafka_2.13 jar, is a skip with the reason', withDir((dir) => {
  const none = kafkaLibs(undefined);
  assert.ok('skipped' in none && /--kafka-home/.test(none.skipped), JSON.stringify(none));
  writeFileSync(join(dir, 'kafka-clients-4.4.0.jar'), '');
  const noCore = kafkaLibs(dir);
  assert.ok('skipped' in noCore && noCore.skipped.includes('kafka_2.13'), JSON.stringify(noCore));
}));

test('kafkaLibs: a Kafka home with libs/, or the libs folder itself; version from the core jar', withDir((dir) => {
  mkdirSync(join(dir, 'libs'));
  writeFileSync(join(dir, 'libs', 'kafka_2.13-4.4.0.jar'), '');
  assert.deepEqual(kafkaLibs(dir), { libs: join(dir, 'libs'), version: '4.4.0' });
  assert.deepEqual(kafkaLibs(join(dir, 'libs')), { libs: join(dir, 'libs'), version: '4.4.0' });
}));

test('kafkaProperties: combined KRaft nodes with static voters; internal topics sized to the node count', () => {
  const nodes = [1, 2, 3].map((id) => ({ id, port: 9000 + id, controllerPort: 9100 + id }));
  const props = Object.fromEntries(
    kafkaProperties(nodes[1] as (typeof nodes)[number], nodes, '/data/2', 6)
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(props['process.roles'], 'broker,controller');
  assert.equal(props['node.id'], '2');
  assert.equal(props['controller.quorum.voters'], '1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103');
  assert.equal(props['listeners'], 'PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102');
  assert.equal(props['controller.listener.names'], 'CONTROLLER');
  assert.equal(props['log.dirs'], '/data/2');
  assert.equal(props['num.partitions'], '6');
  assert.equal(props['offsets.topic.replication.factor'], '3');
  const single = kafkaProperties({ id: 1, port: 9001, controllerPort: 9101 }, [{ id: 1, port: 9001, controllerPort: 9101 }], '/d', 6);
  assert.match(single, /^offsets\.topic\.replication\.factor=1$/m);
  assert.match(single, /^controller\.quorum\.voters=1@127\.0\.0\.1:9101$/m);
});

test('kafkaScenario without jars: skipped, nothing produced, the report says why', withDir(async (dir) => {
  const produced: string[] = [];
  const r = await kafkaScenario(deps(dir, undefined, produced));
  assert.ok(r.skipped !== undefined);
  assert.deepEqual(produced, []);
  assert.match(renderKafka(r), /Skipped: no Kafka jars given/);
}));

test('kafkaScenario with a Java that fails: the error is recorded and its work dir removed', withDir(async (dir) => {
  const home = join(dir, 'home');
  mkdirSync(join(home, 'libs'), { recursive: true });
  writeFileSync(join(home, 'libs', 'kafka_2.13-4.4.0.jar'), '');
  const work = join(dir, 'work');
  mkdirSync(work);
  const produced: string[] = [];
  const r = await kafkaScenario({ ...deps(work, home, produced), java: '/bin/false' });
  assert.equal(r.version, '4.4.0');
  assert.match(r.error ?? '', /formatting .* failed/);
  assert.deepEqual(produced, []);
  assert.equal(existsSync(join(work, 'kafka')), false);
  assert.match(renderKafka(r), /Failed: formatting/);
}));
