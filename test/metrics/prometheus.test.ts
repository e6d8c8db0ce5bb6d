/**
 * The shipped Prometheus and Grafana files against real Prometheus (issue 16, must-show 5; Debian's
 * `prometheus` package, skipped when promtool is not installed): the scrape config and alert rules
 * load (`promtool check config` / `check rules`), the alert unit tests pass (`promtool test rules`),
 * a live /metrics passes `promtool check metrics`, every Grafana panel query is valid PromQL on
 * metrics the broker exports, and a short Prometheus run with the shipped config scrapes a broker
 * and loads the rules.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/common/free-port.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { runProcess } from '../helpers/run-process.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const DEPLOY = resolve('deploy');
const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const HAVE_PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0;

let broker: RunningBroker;
let metricsUrl: string;
const temps: string[] = [];

before(async () => {
  broker = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': 1 } });
  metricsUrl = broker.broker.observability?.listeners[0]?.url ?? '';
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic('prom', 2), 0);
    assert.equal((await c.produce('prom', 0, encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] }), -1)).errorCode, 0);
    await c.fetchOnce('prom', 0, 0n);
  } finally {
    c.close();
  }
});

after(async () => {
  await broker?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'samsa-prom-'));
  temps.push(d);
  return d;
}

async function promtool(args: string[], input?: string): Promise<string> {
  const r = await runProcess('promtool', args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  const out = `${r.stdout.toString('utf8')}${r.stderr}`;
  assert.equal(r.code, 0, `promtool ${args.join(' ')}:\n${out}`);
  return out;
}

test('promtool: the scrape config and alert rules load, and the alert unit tests pass', { skip: !HAVE_PROMTOOL && 'promtool is not installed' }, async () => {
  assert.match(await promtool(['check', 'config', join(DEPLOY, 'prometheus/prometheus.yml')]), /SUCCESS/);
  assert.match(await promtool(['check', 'rules', join(DEPLOY, 'prometheus/alerts.yml')]), /SUCCESS: \d+ rules found/);
  assert.match(await promtool(['test', 'rules', join(DEPLOY, 'prometheus/alerts.test.yml')]), /SUCCESS/);
});

test('promtool check metrics: a live /metrics is valid and lint-clean exposition', { skip: !HAVE_PROMTOOL && 'promtool is not installed' }, async () => {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  await promtool(['check', 'metrics'], text);
});

test('every Grafana panel query is valid PromQL over metrics the broker exports', { skip: !HAVE_PROMTOOL && 'promtool is not installed' }, async () => {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana/samsa.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
  assert.ok(exprs.length >= 20, `${exprs.length} panel queries`);
  // Grafana's variables, as Grafana would substitute them.
  const concrete = exprs.map((e) => ({ ...e, expr: e.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*') }));
  const dir = tempDir();
  const rules = { groups: [{ name: 'dashboard', rules: concrete.map((e, i) => ({ record: `samsa:dashboard_query_${i}`, expr: e.expr })) }] };
  writeFileSync(join(dir, 'dashboard-rules.yml'), JSON.stringify(rules)); // JSON is YAML
  await promtool(['check', 'rules', join(dir, 'dashboard-rules.yml')]);
  // The metric names queried are exported (a TYPE line in the exposition), except Prometheus' own `up`.
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  for (const { title, expr } of concrete) {
    for (const name of expr.match(/\b(kafka|process|nodejs|samsa)_[a-z0-9_]+/g) ?? []) {
      const family = name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(exported.has(name) || exported.has(family), `panel "${title}" queries ${name}, which the broker does not export`);
    }
  }
});

test('Prometheus with the shipped config scrapes the broker and loads the alert rules', { skip: !HAVE_PROMETHEUS && 'prometheus is not installed', timeout: 120_000 }, async () => {
  const dir = tempDir();
  const target = new URL(metricsUrl).host;
  const shipped = readFileSync(join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8');
  assert.ok(shipped.includes('localhost:9644'));
  const config = shipped
    .replace('localhost:9644', target)
    .replace(/scrape_interval: \d+s/, 'scrape_interval: 1s')
    .replace(/evaluation_interval: \d+s/, 'evaluation_interval: 1s')
    .replace('- alerts.yml', `- ${join(DEPLOY, 'prometheus/alerts.yml')}`);
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const web = `http://127.0.0.1:${port}`;
  let prom: ChildProcess | undefined;
  let out = '';
  try {
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    prom.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const api = async <T>(path: string): Promise<T | undefined> => {
      try {
        const r = await fetch(`${web}${path}`);
        return r.ok ? ((await r.json()) as T) : undefined;
      } catch {
        return undefined;
      }
    };
    type Targets = { data: { activeTargets: { health: string; scrapeUrl: string; lastError: string }[] } };
    const up = await waitFor(async () => {
      const t = await api<Targets>('/api/v1/targets');
      return t?.data.activeTargets.find((x) => x.health === 'up');
    }, 60_000, `Prometheus to scrape the broker:\n${out}`, 250);
    assert.equal(up.scrapeUrl, `${metricsUrl}/metrics`);
    type Query = { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    const partitions = await waitFor(async () => (await api<Query>(`/api/v1/query?query=${encodeURIComponent('kafka_server_replicamanager_partitioncount{job="samsa"}')}`))?.data.result[0], 30_000, 'the partition count in Prometheus', 250);
    assert.equal(partitions.value[1], '2');
    assert.equal(partitions.metric['cluster'], 'samsa');
    const messages = (await api<Query>(`/api/v1/query?query=${encodeURIComponent('kafka_server_brokertopicmetrics_messagesin_total{topic="prom"}')}`))?.data.result[0];
    assert.equal(messages?.value[1], '1');
    type Rules = { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = await waitFor(async () => {
      const r = await api<Rules>('/api/v1/rules');
      const all = r?.data.groups.flatMap((g) => g.rules) ?? [];
      return all.length > 0 && all.every((x) => x.health === 'ok') ? all : undefined;
    }, 30_000, 'the rules to be evaluated', 250);
    assert.ok(rules.some((r) => r.name === 'SamsaUnderReplicatedPartitions'));
  } finally {
    if (prom !== undefined && prom.exitCode === null) {
      const exited = new Promise<void>((res) => prom?.once('exit', () => res()));
      prom.kill('SIGTERM');
      await exited;
    }
  }
});
