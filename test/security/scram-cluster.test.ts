/**
 * SCRAM credentials in a cluster: AlterUserScramCredentials on one broker is committed to etcd
 * (/config/user-credentials/<user>, salted) and every broker authenticates with it; a broker restarted later
 * loads it from etcd; a deletion stops authentication everywhere.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { KCAT } from '../helpers/compat.js';
import { runProcess } from '../helpers/run-process.js';
import { setScramCredentials } from '../helpers/security.js';
import { WireClient } from '../helpers/wire.js';
import type { RunningBroker } from '../../src/index.js';

const fx = useEtcd({ before, after });

function portOf(b: RunningBroker, listener: string): number {
  const l = b.broker.listeners.find((x) => x.name === listener);
  if (l === undefined) throw new Error(`no ${listener}`);
  return l.port;
}

/** kcat -L over SCRAM-SHA-512 against one broker: true when it authenticated. */
async function scramWorks(port: number, password: string): Promise<boolean> {
  const r = await runProcess(KCAT, ['-L', '-b', `127.0.0.1:${port}`, '-m', '5', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=zoe', '-X', `sasl.password=${password}`], { timeoutMs: 30_000 });
  return r.code === 0 && /brokers:/.test(r.stdout.toString());
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('credentials set on one broker authenticate on every broker, survive a restart, and a deletion applies everywhere', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 2,
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'inter.broker.listener.name': 'PLAINTEXT', 'sasl.enabled.mechanisms': 'SCRAM-SHA-512' },
  });
  t.after(() => cluster.stop());
  const r = await setScramCredentials(portOf(cluster.broker(1), 'PLAINTEXT'), [{ name: 'zoe', password: 'zoe-pw', mechanism: 'SCRAM-SHA-512' }]);
  assert.equal(r[0]?.errorCode, 0);
  await eventually('SCRAM on broker 2', () => scramWorks(portOf(cluster.broker(2), 'SASL_PLAINTEXT'), 'zoe-pw'));
  assert.equal(await scramWorks(portOf(cluster.broker(1), 'SASL_PLAINTEXT'), 'zoe-pw'), true, 'broker 1');
  assert.equal(await scramWorks(portOf(cluster.broker(2), 'SASL_PLAINTEXT'), 'wrong'), false, 'wrong password');

  await cluster.stopBroker(2);
  const again = await cluster.startBroker(2);
  assert.equal(await scramWorks(portOf(again, 'SASL_PLAINTEXT'), 'zoe-pw'), true, 'broker 2 after a restart');

  const c = await WireClient.connect(portOf(cluster.broker(2), 'PLAINTEXT'));
  try {
    const d = await c.request(50, 0, { users: [{ name: 'zoe' }] });
    assert.deepEqual(d.results[0].credentialInfos, [{ mechanism: 2, iterations: 4096 }]);
    const del = await c.request(51, 0, { deletions: [{ name: 'zoe', mechanism: 2 }], upsertions: [] });
    assert.equal(del.results[0].errorCode, 0);
  } finally {
    c.close();
  }
  await eventually('deletion on broker 1', async () => !(await scramWorks(portOf(cluster.broker(1), 'SASL_PLAINTEXT'), 'zoe-pw')));
});
