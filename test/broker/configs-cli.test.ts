/**
 * `samsa configs` against a broker process: kafka-configs.sh-style describe and alter of topic and
 * broker configs (per broker and cluster default), list values in brackets, --json, and errors.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess();
  await withClient(broker.port, async (c) => assert.equal(await c.createTopic('cli-cfg', 1, { 'retention.ms': 1234567 }), 0));
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

async function configs(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runProcess(process.execPath, [CLI, 'configs', ...args, '--bootstrap-server', broker.bootstrap], { timeoutMs: 20_000 });
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

it('describes and alters topic configs', async () => {
  let r = await configs('--entity-type', 'topics', '--entity-name', 'cli-cfg', '--describe');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Dynamic configs for topic cli-cfg are:\n {2}retention\.ms=1234567 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=1234567/);
  assert.ok(!r.stdout.includes('segment.bytes'), 'defaults hidden without --all');
  r = await configs('--entity-type', 'topics', '--entity-name', 'cli-cfg', '--alter', '--add-config', 'cleanup.policy=[compact,delete],segment.bytes=65536', '--delete-config', 'retention.ms');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Completed updating config for topic cli-cfg\./);
  r = await configs('--entity-type', 'topics', '--entity-name', 'cli-cfg', '--describe', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { configs: { name: string; value: string; source: string }[] };
  assert.deepEqual(
    j.configs.map((c) => [c.name, c.value, c.source]),
    [
      ['cleanup.policy', 'compact,delete', 'DYNAMIC_TOPIC_CONFIG'],
      ['segment.bytes', '65536', 'DYNAMIC_TOPIC_CONFIG'],
    ],
  );
  r = await configs('--topic', 'cli-cfg', '--describe', '--all');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /All configs for topic cli-cfg are:/);
  assert.match(r.stdout, /retention\.ms=604800000 .*DEFAULT_CONFIG:log\.retention\.hours=168/);
});

it('alters broker configs per broker and as the cluster default', async () => {
  let r = await configs('--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.retention.ms=7200000');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Completed updating default config for brokers in the cluster\./);
  r = await configs('--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'log.cleaner.backoff.ms=3000');
  assert.equal(r.code, 0, r.stderr);
  r = await configs('--entity-type', 'brokers', '--entity-name', '1', '--describe');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Dynamic configs for broker 1 are:/);
  assert.match(r.stdout, /log\.cleaner\.backoff\.ms=3000 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:log\.cleaner\.backoff\.ms=3000/);
  assert.match(r.stdout, /log\.retention\.ms=7200000 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:log\.retention\.ms=7200000/);
  r = await configs('--entity-type', 'brokers', '--entity-default', '--describe', '--json');
  assert.deepEqual((JSON.parse(r.stdout) as { configs: { name: string }[] }).configs.map((c) => c.name), ['log.retention.ms']);
});

it('reports errors with exit codes', async () => {
  let r = await configs('--entity-type', 'topics', '--entity-name', 'nope', '--describe');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
  r = await configs('--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'log.dirs=/x');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /INVALID_REQUEST.*Cannot update these configs dynamically/);
  r = await configs('--entity-type', 'topics', '--entity-name', 'cli-cfg', '--alter', '--add-config', 'retention.ms=soon');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /INVALID_CONFIG/);
  r = await configs('--entity-type', 'topics', '--entity-name', 'cli-cfg');
  assert.equal(r.code, 2);
  r = await configs('--entity-type', 'groups', '--entity-name', 'g', '--describe');
  assert.equal(r.code, 2);
  const help = await runProcess(process.execPath, [CLI, 'configs', '--help'], { timeoutMs: 10_000 });
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /--add-config/);
});
