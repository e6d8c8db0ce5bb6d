/**
 * kcat (librdkafka) balanced consumer groups (`kcat -G`): a group reads every record once,
 * commits on exit, and the next run of the same group reads only what was produced since;
 * a second group reads everything. `samsa groups --list` shows both groups.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { CLI } from '../helpers/broker-process.js';
import { kcat } from '../helpers/compat.js';
import { runProcess } from '../helpers/run-process.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
});

after(async () => {
  await broker?.stop();
});

async function produce(topic: string, from: number, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `kv-${from + i}`);
  await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-K', ':'], { input: values.map((v, i) => `key-${from + i}:${v}`).join('\n') + '\n' });
  return values;
}

async function groupRead(group: string, topic: string): Promise<string[]> {
  const r = await kcat(['-b', broker.bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\n', topic], { timeoutMs: 30_000 });
  return r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
}

test('kcat -G: read once, commit, resume; a second group reads everything', { timeout: 90_000 }, async () => {
  const topic = 'kcat-groups';
  await kcat(['-b', broker.bootstrap, '-L', '-t', topic]).catch(() => undefined);
  const first = await produce(topic, 0, 60);
  assert.deepEqual((await groupRead('kcat-a', topic)).sort(), [...first].sort(), 'first run reads every record');
  const second = await produce(topic, 60, 25);
  assert.deepEqual((await groupRead('kcat-a', topic)).sort(), [...second].sort(), 'second run reads only the new records');
  assert.deepEqual((await groupRead('kcat-b', topic)).sort(), [...first, ...second].sort(), 'another group reads everything');

  const list = await runProcess(process.execPath, [CLI, 'groups', '--bootstrap-server', broker.bootstrap, '--list', '--json'], { timeoutMs: 20_000 });
  assert.equal(list.code, 0, list.stderr);
  const groups = JSON.parse(list.stdout.toString('utf8')) as { group: string; state: string; protocolType: string; type: string }[];
  for (const g of ['kcat-a', 'kcat-b']) assert.deepEqual(groups.find((x) => x.group === g), { group: g, state: 'Empty', protocolType: 'consumer', type: 'classic' });
});
