/**
 * Start-up cost: what a command or a broker does not need is never loaded (issue 22's start-time
 * target: launch → first acknowledged produce, and `samsa <client command> --help`).
 * - `samsa topics --help` loads no broker module (the `start` command is imported on demand);
 * - a single-node broker (no etcd.endpoints) loads neither the etcd client nor gRPC, nor
 *   pino-pretty when its output is not a terminal, nor prom-client without metrics.listeners, nor jose without an OAUTHBEARER JWKS listener.
 * The controls show the same check seeing those modules where they are used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { DIST_SRC, distUrl, modulesLoadedBy, modulesLoadedByScript, ofPackage } from '../helpers/loaded-modules.js';

const SAMSA = resolve(DIST_SRC, 'cli/samsa.js');
const brokerModules = (mods: string[]): string[] => mods.filter((m) => m.startsWith(distUrl('broker/')) || m.startsWith(distUrl('storage/')));

test("'samsa topics --help' loads no broker or storage module", async () => {
  const { modules, stdout } = await modulesLoadedBy([SAMSA, 'topics', '--help']);
  assert.match(stdout, /topics/);
  assert.ok(modules.includes(distUrl('cli/topics-command.js')), 'the hook saw the topics command load');
  assert.deepEqual(brokerModules(modules), [], `loaded: ${brokerModules(modules).slice(0, 5).join(', ')}`);
});

test("control: 'samsa start --help' loads the broker (the unbundled modules: SAMSA_BUNDLE=0)", async () => {
  const { modules } = await modulesLoadedBy([SAMSA, 'start', '--help'], { ...process.env, SAMSA_BUNDLE: '0' });
  assert.ok(modules.includes(distUrl('broker/broker.js')));
});

const lazyPackages = ['etcd3', '@grpc/grpc-js', 'pino-pretty', 'prom-client', 'jose'] as const;

test('a single-node broker loads neither etcd3 nor gRPC, nor pino-pretty (output not a terminal), nor prom-client (no metrics.listeners), nor jose (no OAUTHBEARER)', async () => {
  const { modules } = await modulesLoadedByScript(`
    const { startBroker } = await import(${JSON.stringify(distUrl('index.js'))});
    const b = await startBroker({ port: 0 });
    await b.stop();
  `);
  assert.ok(modules.includes(distUrl('broker/broker.js')), 'the hook saw the broker load');
  for (const p of lazyPackages) assert.deepEqual(ofPackage(modules, p), [], `${p} loaded: ${ofPackage(modules, p).slice(0, 3).join(', ')}`);
});

test('control: the cluster side loads the etcd client, and a pretty log format loads pino-pretty', async () => {
  const { modules } = await modulesLoadedByScript(`
    await import(${JSON.stringify(distUrl('broker/cluster-node.js'))});
    const { Logger } = await import(${JSON.stringify(distUrl('common/logger.js'))});
    const lines = [];
    new Logger({ sink: (l) => lines.push(l), format: 'pretty' }).warn('hello');
    if (!lines.join('').includes('WARN')) throw new Error('not pretty: ' + lines.join(''));
  `);
  assert.ok(ofPackage(modules, 'etcd3').length > 0, 'cluster-node.js loads etcd3');
  assert.ok(ofPackage(modules, 'pino-pretty').length > 0, 'the pretty format loads pino-pretty');
});

test('control: a broker with metrics.listeners loads prom-client and serves /metrics', async () => {
  const { modules, stdout } = await modulesLoadedByScript(`
    const { startBroker } = await import(${JSON.stringify(distUrl('index.js'))});
    const b = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0' } });
    try {
      const text = await (await fetch(b.broker.observability.listeners[0].url + '/metrics')).text();
      process.stdout.write(text.includes('samsa_build_info') ? 'metrics ok' : 'no metrics');
    } finally {
      await b.stop();
    }
  `);
  assert.equal(stdout, 'metrics ok');
  assert.ok(ofPackage(modules, 'prom-client').length > 0);
});
