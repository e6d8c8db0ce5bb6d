/**
 * Issue 14, Docker: the compose file (docker/docker-compose.yml) and the script that starts the
 * same topology without Docker (scripts/cluster-up.mjs) carry the same broker settings, and the
 * script really starts a working three-broker cluster configured only through SAMSA_*
 * environment variables (Kafka's Docker mapping, src/config/env-config.ts); plus the mapping
 * rules and their precedence in `samsa start` (file < environment < --override).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { assertOk, samsaCli, waitFor } from '../helpers/samsa-cli.js';
import { envToProperty, propertiesFromEnv, propertyToEnv } from '../../src/config/env-config.js';
import { buildStartConfig } from '../../src/cli/start-command.js';
import { freePort } from '../../src/common/free-port.js';

const SCRIPT = 'scripts/cluster-up.mjs';

interface Topology {
  etcd: { args: string[]; endpoints: string };
  brokers: { nodeId: number; externalPort: number; env: Record<string, string> }[];
}

/**
 * The `environment:` maps of the compose file's services, read from its plain layout (two-space
 * indents, `KEY: "value"` entries: the file is written that way on purpose, no YAML library).
 */
function composeEnvironments(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let service: string | null = null;
  let inEnv = false;
  let inServices = false;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.startsWith('services:');
      service = null;
      continue;
    }
    if (!inServices) continue;
    const svc = /^ {2}([\w-]+):\s*$/.exec(line);
    if (svc) {
      service = svc[1] as string;
      inEnv = false;
      continue;
    }
    if (/^ {4}\S/.test(line)) {
      inEnv = /^ {4}environment:\s*$/.test(line);
      continue;
    }
    const kv = /^ {6}([A-Z0-9_]+):\s*"([^"]*)"\s*$/.exec(line);
    if (inEnv && service !== null && kv) out.set(service, { ...(out.get(service) ?? {}), [kv[1] as string]: kv[2] as string });
  }
  return out;
}

/** A value with its network addresses (host:port) and paths taken out: what must be equal in both files. */
function normalized(key: string, value: string): string {
  if (key === 'SAMSA_LOG_DIRS') return '<dir>';
  return value.replace(/\/\/[^,/]+:\d+/g, '//<address>');
}

test('the compose file and scripts/cluster-up.mjs configure the same brokers the same way', async () => {
  const compose = composeEnvironments(readFileSync('docker/docker-compose.yml', 'utf8'));
  const printed = await runProcess(process.execPath, [SCRIPT, '--print']);
  assert.equal(printed.code, 0, printed.stderr);
  const topo = JSON.parse(printed.stdout.toString()) as Topology;
  const brokerServices = [...compose.keys()].filter((s) => s.startsWith('samsa'));
  assert.deepEqual(brokerServices, ['samsa1', 'samsa2', 'samsa3']);
  assert.deepEqual(topo.brokers.map((b) => b.nodeId), [1, 2, 3]);
  for (const b of topo.brokers) {
    const env = compose.get(`samsa${b.nodeId}`) as Record<string, string>;
    assert.deepEqual(Object.keys(b.env).sort(), Object.keys(env).sort(), `broker ${b.nodeId}: the same settings are set`);
    for (const [k, v] of Object.entries(env)) assert.equal(normalized(k, b.env[k] as string), normalized(k, v), `broker ${b.nodeId}: ${k}`);
    // The address clients use from the host is the same in both.
    assert.equal(/EXTERNAL:\/\/([^,]+)/.exec(b.env['SAMSA_ADVERTISED_LISTENERS'] as string)?.[1], /EXTERNAL:\/\/([^,]+)/.exec(env['SAMSA_ADVERTISED_LISTENERS'] as string)?.[1]);
    // Every variable names a broker setting Samsa knows (none would be ignored).
    assert.deepEqual(propertiesFromEnv(env).ignored, [], `broker ${b.nodeId}`);
  }
});

test('SAMSA_* variables map to properties as Kafka images map KAFKA_*; samsa start takes them over the file and under --override', () => {
  assert.equal(envToProperty('SAMSA_NODE_ID'), 'node.id');
  assert.equal(envToProperty('SAMSA_ADVERTISED_LISTENERS'), 'advertised.listeners');
  assert.equal(envToProperty('SAMSA_FOO__BAR___BAZ_QUX'), 'foo_bar-baz.qux');
  assert.equal(envToProperty('KAFKA_NODE_ID'), null);
  assert.equal(propertyToEnv('transaction.state.log.min.isr'), 'SAMSA_TRANSACTION_STATE_LOG_MIN_ISR');
  for (const p of ['node.id', 'foo_bar-baz.qux', 'log.dirs']) assert.equal(envToProperty(propertyToEnv(p)), p);
  const { properties, ignored } = propertiesFromEnv({ SAMSA_NODE_ID: '7', SAMSA_NO_SUCH_SETTING: 'x', SAMSA_LOG_LEVEL: 'debug', SAMSA_TEST_LOGS: '1', PATH: '/bin' });
  assert.deepEqual([...properties], [['node.id', '7']]);
  assert.deepEqual(ignored, ['SAMSA_NO_SUCH_SETTING'], "Samsa's own variables are neither mapped nor reported");

  const dir = tempDir('samsa-env-');
  try {
    const file = join(dir, 'server.properties');
    writeFileSync(file, 'node.id=1\nbroker.rack=from-file\nnum.partitions=2\n');
    const c = buildStartConfig([file, '--override', 'num.partitions=5', '--data-dir', dir], { SAMSA_NODE_ID: '4', SAMSA_NUM_PARTITIONS: '3', SAMSA_BROKER_RACK: 'from-env' });
    assert.equal(c.nodeId, 4, 'the environment over the file');
    assert.equal(c.str('broker.rack'), 'from-env');
    assert.equal(c.int('num.partitions'), 5, '--override over the environment');
    assert.equal(buildStartConfig([file, '--data-dir', dir]).nodeId, 1, 'no environment given: the file');
  } finally {
    removeDir(dir);
  }
});

test('scripts/cluster-up.mjs starts etcd and three brokers configured by environment; they form one cluster with racks; SIGTERM stops them', { timeout: 180_000 }, async (t) => {
  const dir = tempDir('samsa-cluster-up-');
  const ports: number[] = [];
  // Every port reserved, etcd's peer port too (the script's default, client port + 1, may be taken).
  for (let i = 0; i < 8; i++) ports.push(await freePort());
  const [etcdPort, etcdPeerPort, ...brokerPorts] = ports as [number, number, ...number[]];
  const external = brokerPorts.slice(0, 3);
  const child = spawn(process.execPath, [SCRIPT, '--data-dir', dir, '--etcd-port', String(etcdPort), '--etcd-peer-port', String(etcdPeerPort), '--external-ports', external.join(','), '--internal-ports', brokerPorts.slice(3).join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir(dir);
  });
  try {
    await waitFor('cluster-up to report the brokers', async () => (out.includes('cluster-up: etcd') ? true : undefined), 120_000);
    const bootstrap = `localhost:${external[0]}`;
    const cluster = await waitFor('samsa cluster to show three live brokers', async () => {
      const r = await samsaCli(['cluster', '--json'], { bootstrap });
      if (r.code !== 0) return undefined;
      const j = JSON.parse(r.stdout) as { brokers: { id: number; port: number; rack: string | null; alive: boolean }[] };
      return j.brokers.filter((b) => b.alive).length === 3 ? j : undefined;
    }, 60_000);
    assert.deepEqual(cluster.brokers.map((b) => [b.id, b.port, b.rack]), [[1, external[0], 'rack-1'], [2, external[1], 'rack-2'], [3, external[2], 'rack-3']], 'EXTERNAL listeners advertised, racks from SAMSA_BROKER_RACK');
    const created = await samsaCli(['topics', 'create', '--topic', 'up', '--partitions', '3'], { bootstrap });
    assertOk(created, 'topics create');
    const described = await waitFor('the topic replicated on three brokers (default.replication.factor=3 from the environment)', async () => {
      const r = await samsaCli(['topics', 'describe', '--topic', 'up'], { bootstrap });
      // Every partition row: PARTITION LEADER LEADER-EPOCH REPLICAS ISR, with three replicas in the ISR.
      const rows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+\d+\s+\d+\s+/.test(l));
      return r.code === 0 && rows.length === 3 && rows.every((l) => /\s\d,\d,\d\s+\d,\d,\d\s/.test(l)) ? r.stdout : undefined;
    }, 30_000);
    assert.match(described, /ReplicationFactor: 3/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  } catch (e) {
    console.log(out);
    for (const f of ['etcd', 'samsa1', 'samsa2', 'samsa3']) {
      try {
        console.log(`--- ${f}.log ---\n${readFileSync(join(dir, `${f}.log`), 'utf8').slice(-4000)}`);
      } catch {
        // not started
      }
    }
    throw e;
  }
});
