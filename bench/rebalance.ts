/**
 * The `rebalance` section of `npm run bench` (issue 18, must-show 4): how long a 10-member
 * consumer group takes to rebalance when an 11th member joins, classic protocol vs KIP-848's
 * consumer protocol, in the same run against the same broker.
 * One `samsa start` process; a 22-partition topic per scenario (2 partitions per member once 11
 * are in). Members are confluent-kafka (python) processes from the group test harness, committing
 * after every batch:
 * - classic, eager `range` (Debian's librdkafka 2.0.2): every member revokes everything and rejoins;
 * - classic, `cooperative-sticky` (librdkafka 2.0.2): incremental, two rebalance rounds;
 * - consumer (`group.protocol=consumer`, librdkafka 2.12 built by scripts/build-librdkafka.mjs):
 *   the broker's uniform assignor, reconciliation on heartbeats.
 * Classic members heartbeat every 300 ms (the harness's heartbeat.interval.ms); the broker's
 * group.consumer.heartbeat.interval.ms is set to 300 ms too, so both protocols see the same cadence.
 * Measured: from spawning the 11th consumer process to every member holding its final assignment
 * (11 × 2 partitions, disjoint, as reported by the members' assign/revoke callbacks); it includes
 * the process start-up of the joining member (the same for every scenario). Each scenario joins
 * `repeats` times (the 11th member leaves between joins); median and all runs reported.
 */
import { join } from 'node:path';
import { GroupConsumer, waitForAssignment } from '../test/group/group-harness.js';
import { modernLibrdkafkaEnv } from '../test/helpers/modern-librdkafka.js';

export interface RebalanceRow {
  scenario: string;
  runsMs: number[];
  medianMs: number | null;
  /** Median ÷ the consumer protocol's median. */
  ratio: number | null;
  error?: string;
}

export interface RebalanceResult {
  members: number;
  partitions: number;
  rows: RebalanceRow[];
}

export interface RebalanceDeps {
  log(msg: string): void;
  work: string;
  repeats: number;
  startBroker(dataDir: string, overrides: Record<string, string>): Promise<{ port: number; stop(): Promise<void> }>;
  createTopic(port: number, name: string, partitions: number): Promise<void>;
}

const MEMBERS = 10;
const PARTITIONS = 22;

interface Scenario {
  name: string;
  strategy?: string;
  protocol?: 'consumer';
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'classic, eager range (librdkafka 2.0.2)', strategy: 'range' },
  { name: 'classic, cooperative-sticky (librdkafka 2.0.2)', strategy: 'cooperative-sticky' },
  { name: 'consumer protocol (librdkafka 2.12)', protocol: 'consumer' },
];

function sizes(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function runScenario(d: RebalanceDeps, port: number, i: number, s: Scenario, env: NodeJS.ProcessEnv): Promise<RebalanceRow> {
  const topic = `rebalance-${i}`;
  const group = `rebalance-group-${i}`;
  await d.createTopic(port, topic, PARTITIONS);
  const job = (id: string): Parameters<typeof GroupConsumer.start>[1] => ({
    bootstrap: `127.0.0.1:${port}`,
    group,
    topic,
    id,
    session: 10_000,
    ...(s.strategy !== undefined ? { strategy: s.strategy } : {}),
    ...(s.protocol !== undefined ? { protocol: s.protocol } : {}),
  });
  const procEnv = s.protocol === 'consumer' ? env : undefined;
  const members: GroupConsumer[] = [];
  const runsMs: number[] = [];
  try {
    for (let m = 0; m < MEMBERS; m++) members.push(GroupConsumer.start('confluent', job(`m${m}`), procEnv));
    await waitForAssignment(members, PARTITIONS, sizes(PARTITIONS, MEMBERS), 180_000);
    for (let r = 0; r < d.repeats; r++) {
      const t0 = performance.now();
      const joiner = GroupConsumer.start('confluent', job(`joiner${r}`), procEnv);
      await waitForAssignment([...members, joiner], PARTITIONS, sizes(PARTITIONS, MEMBERS + 1), 180_000);
      runsMs.push(performance.now() - t0);
      d.log(`rebalance: ${s.name}: join ${r + 1}/${d.repeats} took ${Math.round(runsMs[runsMs.length - 1] as number)} ms`);
      await joiner.stop();
      await waitForAssignment(members, PARTITIONS, sizes(PARTITIONS, MEMBERS), 180_000);
    }
    return { scenario: s.name, runsMs, medianMs: median(runsMs), ratio: null };
  } catch (e) {
    return { scenario: s.name, runsMs, medianMs: median(runsMs), ratio: null, error: e instanceof Error ? e.message.slice(0, 2000) : String(e) };
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
}

export async function rebalanceScenario(d: RebalanceDeps): Promise<RebalanceResult> {
  const env = await modernLibrdkafkaEnv();
  const broker = await d.startBroker(join(d.work, 'samsa-rebalance'), {
    'group.consumer.heartbeat.interval.ms': '300',
    'group.initial.rebalance.delay.ms': '0',
  });
  const rows: RebalanceRow[] = [];
  try {
    for (const [i, s] of SCENARIOS.entries()) {
      d.log(`rebalance: ${s.name}, ${MEMBERS} members + 1 joining, ${PARTITIONS} partitions`);
      rows.push(await runScenario(d, broker.port, i, s, env));
    }
  } finally {
    await broker.stop();
  }
  const base = rows.find((r) => r.scenario.startsWith('consumer'))?.medianMs ?? null;
  for (const r of rows) r.ratio = r.medianMs !== null && base !== null && base > 0 ? r.medianMs / base : null;
  return { members: MEMBERS, partitions: PARTITIONS, rows };
}

export function renderRebalance(r: RebalanceResult, table: (head: string[], rows: string[][]) => string): string {
  const out: string[] = ['## Rebalance: one member joins a 10-member group\n'];
  out.push(
    `${r.members} confluent-kafka members on a ${r.partitions}-partition topic, an 11th joins; time from spawning its process to every member holding its final assignment (includes that process's start-up). Heartbeats every 300 ms in both protocols. Ratio = median ÷ the consumer protocol's median.\n`,
  );
  out.push(table(['Scenario', 'Median', 'Runs (ms)', '÷ consumer protocol'], r.rows.map((x) => [x.scenario, x.medianMs === null ? 'n/a' : `${Math.round(x.medianMs)} ms`, x.runsMs.map((v) => Math.round(v)).join(', '), x.ratio === null ? 'n/a' : x.ratio.toFixed(2)])));
  for (const x of r.rows) if (x.error !== undefined) out.push(`Error (${x.scenario}): ${x.error}\n`);
  return out.join('\n');
}
