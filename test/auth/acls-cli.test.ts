/**
 * `samsa acls` (kafka-acls.sh style) against a broker whose User:ANONYMOUS is a super user:
 * --add with --allow-principal/--operation/--topic, --producer and --consumer conveniences,
 * --resource-pattern-type prefixed, --deny-principal/--deny-host, --list (all, per resource,
 * --resource-pattern-type match, --principal), --remove, and the usage errors Kafka's tool gives.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:ANONYMOUS' }, logger: { level: 'warn' } });
});

after(async () => {
  await broker?.stop();
});

interface Row {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
}

async function listJson(...args: string[]): Promise<Row[]> {
  const r = await samsaCli(['acls', '--list', '--json', ...args], { bootstrap: broker.bootstrap });
  assertOk(r, `samsa acls --list ${args.join(' ')}`);
  return (JSON.parse(r.stdout) as { acls: Row[] }).acls;
}

const brief = (rows: Row[]): string[] => rows.map((r) => `${r.resourceType}:${r.patternType}:${r.resourceName} ${r.principal}@${r.host} ${r.permissionType} ${r.operation}`).sort();

test('samsa acls: --add, --list, --remove in kafka-acls.sh style', { timeout: 120_000 }, async () => {
  const b = broker.bootstrap;
  const add = await samsaCli(['acls', '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Describe', '--topic', 'orders'], { bootstrap: b });
  assertOk(add, 'add');
  assert.match(add.stdout, /Current ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=orders, patternType=LITERAL\)`/);
  assert.match(add.stdout, /\(principal=User:alice, host=\*, operation=READ, permissionType=ALLOW\)/);

  assertOk(await samsaCli(['acls', '--add', '--allow-principal', 'User:bob', '--producer', '--topic', 'ord', '--resource-pattern-type', 'prefixed', '--transactional-id', 'tx-', '--idempotent'], { bootstrap: b }), 'producer');
  assertOk(await samsaCli(['acls', '--add', '--allow-principal', 'User:carol', '--consumer', '--topic', 'orders', '--group', 'billing'], { bootstrap: b }), 'consumer');
  assertOk(await samsaCli(['acls', '--add', '--deny-principal', 'User:mallory', '--deny-host', '10.0.0.9', '--operation', 'All', '--cluster'], { bootstrap: b }), 'deny');

  assert.deepEqual(brief(await listJson()), [
    'CLUSTER:LITERAL:kafka-cluster User:bob@* ALLOW IDEMPOTENT_WRITE',
    'CLUSTER:LITERAL:kafka-cluster User:mallory@10.0.0.9 DENY ALL',
    'GROUP:LITERAL:billing User:carol@* ALLOW READ',
    'TOPIC:LITERAL:orders User:alice@* ALLOW DESCRIBE',
    'TOPIC:LITERAL:orders User:alice@* ALLOW READ',
    'TOPIC:LITERAL:orders User:carol@* ALLOW DESCRIBE',
    'TOPIC:LITERAL:orders User:carol@* ALLOW READ',
    'TOPIC:PREFIXED:ord User:bob@* ALLOW CREATE',
    'TOPIC:PREFIXED:ord User:bob@* ALLOW DESCRIBE',
    'TOPIC:PREFIXED:ord User:bob@* ALLOW WRITE',
    'TRANSACTIONAL_ID:PREFIXED:tx- User:bob@* ALLOW DESCRIBE',
    'TRANSACTIONAL_ID:PREFIXED:tx- User:bob@* ALLOW WRITE',
  ]);
  // Literal listing of the topic versus every binding that applies to it (match: literal and prefixed).
  assert.equal((await listJson('--topic', 'orders')).length, 4);
  assert.equal((await listJson('--topic', 'orders', '--resource-pattern-type', 'match')).length, 7);
  assert.equal((await listJson('--principal', 'User:carol')).length, 3);

  const removed = await samsaCli(['acls', '--remove', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders', '--force'], { bootstrap: b });
  assertOk(removed, 'remove one');
  assert.match(removed.stdout, /Removed 1 ACL\n/);
  const all = await samsaCli(['acls', '--remove', '--topic', 'orders'], { bootstrap: b });
  assertOk(all, 'remove all of the topic');
  assert.match(all.stdout, /Removed 3 ACLs/);
  assert.equal((await listJson('--topic', 'orders')).length, 0);
});

test('samsa acls: usage errors as kafka-acls.sh gives them', { timeout: 60_000 }, async () => {
  const b = broker.bootstrap;
  const cases: [string[], RegExp][] = [
    [['acls', '--add', '--topic', 't'], /--add needs --allow-principal or --deny-principal/],
    [['acls', '--add', '--allow-principal', 'User:a'], /--add needs a resource/],
    [['acls', '--add', '--allow-principal', 'alice', '--topic', 't'], /must be Type:name/],
    [['acls', '--add', '--allow-principal', 'User:a', '--consumer', '--topic', 't'], /--consumer needs --topic and --group/],
    [['acls', '--add', '--allow-principal', 'User:a', '--operation', 'Fly', '--topic', 't'], /Unknown operation 'Fly'/],
    [['acls', '--add', '--allow-principal', 'User:a', '--topic', 't', '--resource-pattern-type', 'match'], /only for --list and --remove/],
    [['acls', '--list', '--add'], /exactly one of --add, --remove, --list/],
  ];
  for (const [args, message] of cases) {
    const r = await samsaCli(args, { bootstrap: b });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('samsa acls against a broker without an authorizer reports SECURITY_DISABLED', { timeout: 60_000 }, async () => {
  const plain = await startBroker({ port: 0, logger: { level: 'warn' } });
  try {
    const r = await samsaCli(['acls', '--list'], { bootstrap: plain.bootstrap });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SECURITY_DISABLED/);
  } finally {
    await plain.stop();
  }
});
