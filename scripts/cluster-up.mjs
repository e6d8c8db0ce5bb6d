#!/usr/bin/env node
/**
 * The topology of docker/docker-compose.yml without Docker: one etcd and three Samsa brokers on
 * this machine, with the same broker settings (SAMSA_* environment variables, mapped to
 * properties as Kafka's images map KAFKA_*). test/cli/cluster-up.test.ts compares this file's
 * settings with the compose file's, so change both together.
 *
 *   npm run build && node scripts/cluster-up.mjs [--data-dir DIR] [--etcd-port N] [--etcd-peer-port N]
 *       [--external-ports 19092,19093,19094] [--internal-ports 29092,29093,29094]
 *   node scripts/cluster-up.mjs --print      the settings as JSON, starting nothing
 *
 * Clients use localhost:19092,localhost:19093,localhost:19094 (the EXTERNAL listener, as with
 * the compose file); brokers replicate over the INTERNAL listener. Data and each process's output
 * (etcd.log, samsa<N>.log) go under the data dir (default ./samsa-cluster), kept across runs, so
 * a restart finds the cluster as it was. Ctrl-C (or SIGTERM) stops the brokers cleanly
 * (controlled shutdown), then etcd.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_IDS = [1, 2, 3];

/** Settings shared by every broker (the compose file's, verbatim). */
export const COMMON_ENV = {
  SAMSA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
  SAMSA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
  SAMSA_DEFAULT_REPLICATION_FACTOR: '3',
  SAMSA_MIN_INSYNC_REPLICAS: '2',
  SAMSA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
  SAMSA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '3',
  SAMSA_TRANSACTION_STATE_LOG_MIN_ISR: '2',
};

function parseArgs(argv) {
  const o = { dataDir: resolve('samsa-cluster'), etcdPort: 2379, etcdPeerPort: null, external: [19092, 19093, 19094], internal: [29092, 29093, 29094], print: false };
  const ports = (v, what) => {
    const list = String(v ?? '').split(',').map(Number);
    if (list.length !== NODE_IDS.length || !list.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) throw new Error(`${what} needs ${NODE_IDS.length} ports, e.g. 19092,19093,19094`);
    return list;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--print') o.print = true;
    else if (a === '--data-dir') o.dataDir = resolve(argv[++i] ?? '');
    else if (a === '--etcd-port') o.etcdPort = Number(argv[++i]);
    else if (a === '--etcd-peer-port') o.etcdPeerPort = Number(argv[++i]);
    else if (a === '--external-ports') o.external = ports(argv[++i], a);
    else if (a === '--internal-ports') o.internal = ports(argv[++i], a);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('Usage: node scripts/cluster-up.mjs [--print] [--data-dir DIR] [--etcd-port N] [--etcd-peer-port N] [--external-ports a,b,c] [--internal-ports a,b,c]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.etcdPort) || o.etcdPort <= 0 || o.etcdPort > 65534) throw new Error('--etcd-port needs a port');
  // etcd's peer port: the next one by default (2379 → 2380, as etcd's own defaults).
  o.etcdPeerPort ??= o.etcdPort + 1;
  if (!Number.isInteger(o.etcdPeerPort) || o.etcdPeerPort <= 0 || o.etcdPeerPort > 65535) throw new Error('--etcd-peer-port needs a port');
  return o;
}

/** Every process to start: etcd's arguments and each broker's environment. */
export function topology(o) {
  const etcdUrl = `http://127.0.0.1:${o.etcdPort}`;
  const peerUrl = `http://127.0.0.1:${o.etcdPeerPort ?? o.etcdPort + 1}`;
  return {
    etcd: {
      args: ['--name=etcd', `--data-dir=${join(o.dataDir, 'etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`, `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=etcd=${peerUrl}`],
      endpoints: etcdUrl,
    },
    brokers: NODE_IDS.map((id, i) => ({
      nodeId: id,
      externalPort: o.external[i],
      env: {
        SAMSA_NODE_ID: String(id),
        SAMSA_BROKER_RACK: `rack-${id}`,
        SAMSA_ETCD_ENDPOINTS: etcdUrl,
        SAMSA_LISTENERS: `INTERNAL://127.0.0.1:${o.internal[i]},EXTERNAL://127.0.0.1:${o.external[i]}`,
        SAMSA_ADVERTISED_LISTENERS: `INTERNAL://127.0.0.1:${o.internal[i]},EXTERNAL://localhost:${o.external[i]}`,
        ...COMMON_ENV,
        SAMSA_LOG_DIRS: join(o.dataDir, `samsa${id}`),
      },
    })),
  };
}

function etcdBinary() {
  const candidates = ['/usr/bin/etcd', ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'etcd'))];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('etcd is not installed (no /usr/bin/etcd and no etcd on PATH)');
}

/** Resolves once something accepts connections on 127.0.0.1:port; rejects after `ms`. */
async function listening(port, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} is not listening on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every process started (stopped again if the start-up fails). */
const children = [];

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const topo = topology(o);
  if (o.print) {
    process.stdout.write(`${JSON.stringify(topo, null, 2)}\n`);
    return;
  }
  mkdirSync(o.dataDir, { recursive: true });
  const run = (name, cmd, args, env) => {
    const out = createWriteStream(join(o.dataDir, `${name}.log`), { flags: 'a' });
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`cluster-up: ${name} exited (${signal ?? code}); see ${join(o.dataDir, `${name}.log`)}\n`);
    });
    children.push({ name, child });
    return child;
  };
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('cluster-up: stopping the brokers, then etcd\n');
    const exited = (c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));
    const brokers = children.filter((c) => c.name !== 'etcd');
    for (const b of brokers) b.child.kill('SIGTERM');
    await Promise.all(brokers.map((b) => exited(b.child)));
    for (const c of children.filter((x) => x.name === 'etcd')) {
      c.child.kill('SIGTERM');
      await exited(c.child);
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  run('etcd', etcdBinary(), topo.etcd.args, {});
  await listening(o.etcdPort, 20_000, 'etcd');
  const cli = join(root, 'dist', 'src', 'cli', 'samsa.js');
  for (const b of topo.brokers) {
    run(`samsa${b.nodeId}`, process.execPath, [cli, 'start'], b.env);
    // One at a time, as the compose file orders them: the first creates the cluster id.
    await listening(b.externalPort, 60_000, `broker ${b.nodeId}`);
  }
  process.stdout.write(`cluster-up: etcd ${topo.etcd.endpoints}; brokers ${topo.brokers.map((b) => `localhost:${b.externalPort}`).join(',')} (data and logs in ${o.dataDir}); Ctrl-C stops them\n`);
}

main().catch((e) => {
  process.stderr.write(`cluster-up: ${e instanceof Error ? e.message : String(e)}\n`);
  for (const c of children) c.child.kill('SIGKILL');
  process.exit(1);
});
