/**
 * `samsa reassign` (kafka-reassign-partitions.sh) against a three-broker cluster on a real etcd:
 * --list, --execute / --verify / --cancel of a move that cannot finish (its new replica is a
 * registration with no broker behind it), --execute --throttle (rates on every broker involved,
 * throttled replica lists on the topic) and --verify removing them once the move completed,
 * and the errors: bad plan files, unknown brokers, more than one action.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { holdLease, useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { createTopic, partitionOn, until } from '../helpers/cluster-partitions.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const fx = useEtcd({ before, after });

test('samsa reassign --list, --execute, --verify, --cancel, --throttle and its errors', { timeout: 180_000 }, async (t) => {
  const prefix = fx.prefix();
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix, size: 3, config: { 'auto.leader.rebalance.enable': false } });
  const dir = tempDir('samsa-reassign-cli-');
  t.after(async () => {
    await cluster.stop();
    removeDir(dir);
  });
  const ghost = await holdLease(fx.etcd.endpoints, prefix, 'register', 9, 30_000);
  t.after(() => ghost.kill());
  const bootstrap = cluster.broker(2).bootstrap;
  const file = (name: string, doc: unknown): string => {
    const f = join(dir, name);
    writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return f;
  };
  const plan = (topic: string, replicas: number[]): { version: number; partitions: { topic: string; partition: number; replicas: number[]; log_dirs: string[] }[] } => ({ version: 1, partitions: [{ topic, partition: 0, replicas, log_dirs: replicas.map(() => 'any') }] });
  try {
    await createTopic(cluster.broker(1).port, 'ct', [1, 2, 3]);
    await createTopic(cluster.broker(1).port, 'th', [1, 2]);
    await until('full ISRs and broker 9 registered', () => partitionOn(cluster, 2, 'ct')?.isr.length === 3 && partitionOn(cluster, 2, 'th')?.isr.length === 2 && partitionOn(cluster, 2, 'ct') !== undefined && cluster.broker(2).broker.metadata.image().broker(9) !== undefined);

    let r = await samsaCli(['reassign', '--list'], { bootstrap });
    assertOk(r, '--list');
    assert.equal(r.stdout, 'No partition reassignments found.\n');

    const stuck = file('stuck.json', plan('ct', [1, 2, 9]));
    r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', stuck], { bootstrap });
    assertOk(r, '--execute');
    assert.match(r.stdout, /^Current partition replica assignment\n\n\{"version":1,"partitions":\[\{"topic":"ct","partition":0,"replicas":\[1,2,3\],"log_dirs":\["any","any","any"\]\}\]\}\n\nSave this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignments for ct-0\n$/);
    r = await samsaCli(['reassign', '--list'], { bootstrap });
    assert.equal(r.stdout, 'Current partition reassignments:\nct-0: replicas: 1,2,9,3. adding: 9. removing: 3.\n');
    r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', file('other.json', plan('th', [2, 1]))], { bootstrap });
    assert.equal(r.code, 1, 'another reassignment is in progress');
    assert.match(r.stderr, /Cannot execute because there is an existing partition assignment/);
    r = await samsaCli(['reassign', '--verify', '--reassignment-json-file', stuck], { bootstrap });
    assertOk(r, '--verify');
    assert.equal(r.stdout, 'Status of partition reassignment:\nReassignment of partition ct-0 is still in progress.\n');
    r = await samsaCli(['reassign', '--cancel', '--reassignment-json-file', stuck], { bootstrap });
    assertOk(r, '--cancel');
    assert.equal(r.stdout, 'Successfully cancelled partition reassignments for: ct-0\n');
    await until('ct-0 reverted on broker 2', () => (partitionOn(cluster, 2, 'ct')?.addingReplicas?.length ?? 0) === 0);
    r = await samsaCli(['reassign', '--verify', '--reassignment-json-file', stuck], { bootstrap });
    assert.match(r.stdout, /There is no active reassignment of partition ct-0, but replica set is \[1, 2, 3\] rather than \[1, 2, 9\]\./);

    // --throttle: set on brokers 1, 2 (current) and 3 (new), the topic lists the moving replicas.
    const moving = file('throttled.json', plan('th', [1, 3]));
    r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', moving, '--throttle', '50000000'], { bootstrap });
    assertOk(r, '--execute --throttle');
    assert.match(r.stdout, /The inter-broker throttle limit was set to 50000000 B\/s on brokers 1,2,3\n/);
    for (const id of [1, 2, 3]) {
      assert.equal(cluster.broker(id).broker.config.int('leader.replication.throttled.rate'), 50_000_000, `broker ${id}`);
      assert.equal(cluster.broker(id).broker.config.int('follower.replication.throttled.rate'), 50_000_000, `broker ${id}`);
    }
    const configs = cluster.broker(2).broker.metadata.image().topic('th')?.configs;
    assert.equal(configs?.['leader.replication.throttled.replicas'], '0:1,0:2');
    assert.equal(configs?.['follower.replication.throttled.replicas'], '0:3');
    r = await until('--verify to report the throttled move complete', async () => {
      const v = await samsaCli(['reassign', '--verify', '--reassignment-json-file', moving], { bootstrap });
      return v.stdout.includes('All partition reassignments are complete.') ? v : undefined;
    }, 60_000);
    assert.match(r.stdout, /Reassignment of partition th-0 is completed\.\n\nAll partition reassignments are complete\.\nClearing broker-level throttles on brokers 1,2,3,9\nClearing topic-level throttles on topics th\nWarning: could not clear the throttle on broker 9 /, 'every registered broker, reporting the one that does not answer (the registration with no broker)');
    for (const id of [1, 2, 3]) assert.equal(cluster.broker(id).broker.config.level('leader.replication.throttled.rate'), 'default', `broker ${id}: throttle removed`);
    await until('topic throttles removed', () => cluster.broker(2).broker.metadata.image().topic('th')?.configs['follower.replication.throttled.replicas'] === undefined);

    // Errors.
    r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', file('bad.json', '{"partitions": [')], { bootstrap });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not valid JSON/);
    r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', file('dup.json', plan('ct', [1, 1]))], { bootstrap });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /duplicate replicas/);
    r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', file('unknown.json', plan('ct', [1, 42]))], { bootstrap });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Error starting partition reassignments:\n {2}ct-0: INVALID_REPLICA_ASSIGNMENT/);
    r = await samsaCli(['reassign', '--generate', '--topics-to-move-json-file', file('topics.json', { version: 1, topics: [{ topic: 'ct' }] }), '--broker-list', '1,2,42'], { bootstrap });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /brokers are not registered in the cluster: 42/);
    r = await samsaCli(['reassign', '--list', '--verify'], { bootstrap });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exactly one of/);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('samsa reassign --generate places replicas rack-aware over the listed brokers (and ignores racks with --disable-rack-aware)', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 4, config: { 'auto.leader.rebalance.enable': false }, brokerConfig: (id) => ({ 'broker.rack': id <= 2 ? 'rack-a' : 'rack-b' }) });
  const dir = tempDir('samsa-reassign-gen-');
  t.after(async () => {
    await cluster.stop();
    removeDir(dir);
  });
  try {
    await createTopic(cluster.broker(1).port, 'racked', [1, 2]);
    const topics = join(dir, 'topics.json');
    writeFileSync(topics, JSON.stringify({ version: 1, topics: [{ topic: 'racked' }] }));
    const bootstrap = cluster.broker(1).bootstrap;
    const r = await samsaCli(['reassign', '--generate', '--topics-to-move-json-file', topics, '--broker-list', '1,2,3,4'], { bootstrap });
    assertOk(r, '--generate');
    const [, current, proposed] = /^Current partition replica assignment\n(\{.*\})\n\nProposed partition reassignment configuration\n(\{.*\})\n$/.exec(r.stdout) ?? [];
    assert.deepEqual(JSON.parse(current as string), { version: 1, partitions: [{ topic: 'racked', partition: 0, replicas: [1, 2], log_dirs: ['any', 'any'] }] });
    const plan = JSON.parse(proposed as string) as { partitions: { replicas: number[] }[] };
    const replicas = plan.partitions[0]?.replicas ?? [];
    assert.equal(replicas.length, 2, 'the replication factor is kept');
    assert.deepEqual(new Set(replicas.map((id) => (id <= 2 ? 'a' : 'b'))), new Set(['a', 'b']), `one replica per rack: ${replicas.join(',')}`);
    const plain = await samsaCli(['reassign', '--generate', '--topics-to-move-json-file', topics, '--broker-list', '1,2', '--disable-rack-aware'], { bootstrap });
    assertOk(plain, '--generate --disable-rack-aware');
    assert.match(plain.stdout, /"replicas":\[[12],[12]\]/);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
