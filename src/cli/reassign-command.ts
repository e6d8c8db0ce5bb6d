/**
 * `samsa reassign` — kafka-reassign-partitions.sh: move partition replicas between brokers.
 *   --generate --topics-to-move-json-file F --broker-list 1,2,3 [--disable-rack-aware]
 *       prints the current assignment of the topics and a balanced proposal over the brokers
 *       (Kafka's placement, cluster/replica-assignment.ts: rack-aware when brokers have racks,
 *       each partition keeping its replication factor);
 *   --execute --reassignment-json-file F   starts the moves (AlterPartitionReassignments) and
 *       prints the current assignment first, to keep for a rollback;
 *   --verify --reassignment-json-file F    says per partition whether its move completed, is
 *       still in progress (ListPartitionReassignments), or ended elsewhere;
 *   --cancel --reassignment-json-file F    cancels the moves in progress (a null target);
 *   --list                                 the reassignments in progress.
 * Files are Kafka's: {"version":1,"topics":[{"topic":"t"}]} and
 * {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
 * (a log_dirs entry other than "any" is an absolute log dir of that replica's broker: --execute
 * moves the replica there, --verify says whether it is there yet; reassign-log-dirs.ts).
 * Exit codes: 0, or 1 when a request or partition failed (Kafka's tool also exits 0 from --verify
 * while moves are in progress; --verify here exits 0 as well, its text says which).
 * --execute --throttle N (bytes/s), as Kafka's tool: every broker of the moving partitions' old
 * and new replicas gets leader.replication.throttled.rate and follower.replication.throttled.rate
 * = N (each on its own broker), and each moving topic gets leader.replication.throttled.replicas
 * (its moving partitions' current replicas) and follower.replication.throttled.replicas (their
 * new replicas); --verify removes them once every partition of the plan is done, unless
 * --preserve-throttles.
 * As Kafka's tool, --execute refuses while a reassignment is in progress (any partition) unless
 * --additional is given. --execute --replica-alter-log-dirs-throttle N (bytes/s), as Kafka's tool:
 * the brokers with log-dir moves in the plan get replica.alter.log.dirs.io.max.bytes.per.second
 * = N (their copies between log dirs are paced to it); --verify removes it with the others.
 */
import { readFileSync } from 'node:fs';
import { AdminError, fetchMetadata, openFirst, type ClusterMetadata } from '../client/admin.js';
import type { KafkaConnection } from '../client/connection.js';
import { errorName } from '../common/error-codes.js';
import { assignReplicas, type PlacementBroker } from '../cluster/replica-assignment.js';
import type { AlterPartitionReassignmentsResponse } from '../protocol/generated/messages/alter-partition-reassignments.js';
import type { ListPartitionReassignmentsResponse } from '../protocol/generated/messages/list-partition-reassignments.js';
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { connectionOptions, type ConnectionSettings } from './client.js';
import { runConnected } from './command.js';
import { CliError, ExitCode, writeOut } from './output.js';
import { ALTER_LOG_DIRS_RATE, alterLogDirs, brokersOf, logDirMoves, verifyLogDirMoves } from './reassign-log-dirs.js';

const ALTER_PARTITION_REASSIGNMENTS = 45;
const LIST_PARTITION_REASSIGNMENTS = 46;

const options: readonly OptionSpec[] = [
  { name: 'generate', value: false, help: 'Propose a balanced assignment of the topics over --broker-list' },
  { name: 'execute', value: false, help: 'Start the reassignment in --reassignment-json-file' },
  { name: 'verify', value: false, help: 'Show whether the reassignment in --reassignment-json-file completed' },
  { name: 'cancel', value: false, help: 'Cancel the reassignment in --reassignment-json-file where it is in progress' },
  { name: 'list', value: false, help: 'List the reassignments in progress' },
  { name: 'topics-to-move-json-file', arg: 'FILE', help: 'With --generate: {"version":1,"topics":[{"topic":"t"}]}' },
  { name: 'broker-list', arg: 'IDS', help: 'With --generate: the brokers to place replicas on, e.g. 1,2,3,4' },
  { name: 'disable-rack-aware', value: false, help: 'With --generate: ignore broker racks' },
  { name: 'throttle', arg: 'BYTES/S', help: 'With --execute: bound the replication traffic of the moves (removed by --verify once done)' },
  { name: 'replica-alter-log-dirs-throttle', arg: 'BYTES/S', help: 'With --execute: bound the copies of replicas between log dirs of a broker (removed by --verify once done)' },
  { name: 'additional', value: false, help: 'With --execute: start the moves even while other reassignments are in progress' },
  { name: 'preserve-throttles', value: false, help: 'With --verify: keep the throttles after the moves completed' },
  { name: 'reassignment-json-file', arg: 'FILE', help: 'With --execute, --verify, --cancel: the plan (Kafka\'s format; "-" reads stdin)' },
  // --broker-list names the target brokers here (as in kafka-reassign-partitions.sh), not the bootstrap servers.
  ...connectionOptions.map((o) => (o.name === 'bootstrap-server' ? { ...o, aliases: (o.aliases ?? []).filter((x) => x !== '--broker-list') } : o)),
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa reassign --generate|--execute|--verify|--cancel|--list [options]

Moves partition replicas between brokers (like kafka-reassign-partitions.sh): grow a cluster onto
new brokers, or take everything off a broker before decommissioning it.

Options:
${formatOptions(options)}

Example:
  echo '{"version":1,"topics":[{"topic":"orders"}]}' > topics.json
  samsa reassign --generate --topics-to-move-json-file topics.json --broker-list 1,2,3,4 > plan.txt
  (keep the "Proposed" JSON as plan.json)
  samsa reassign --execute --reassignment-json-file plan.json
  samsa reassign --verify --reassignment-json-file plan.json
`;

/** One partition's target in a plan. */
export interface PlannedPartition {
  topic: string;
  partition: number;
  replicas: number[];
  /** Per replica: "any" or the absolute log dir it goes to on its broker. */
  logDirs?: string[];
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read ${file}: ${(e as Error).message}.`, undefined, { exitCode: ExitCode.USAGE });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`The ${what} is not valid JSON: ${(e as Error).message}.`, undefined, { exitCode: ExitCode.USAGE });
  }
}

/** Kafka's reassignment JSON: {"version":1,"partitions":[{"topic","partition","replicas","log_dirs"?}]}. */
export function parseReassignmentJson(doc: unknown): PlannedPartition[] {
  const parts = (doc as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(parts) || parts.length === 0) throw new CliError('The reassignment JSON file has no "partitions" list.', 'Example: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}');
  const seen = new Set<string>();
  return parts.map((p: unknown, i) => {
    const o = p as { topic?: unknown; partition?: unknown; replicas?: unknown; log_dirs?: unknown };
    if (typeof o.topic !== 'string' || !Number.isInteger(o.partition) || !Array.isArray(o.replicas) || !o.replicas.every((r) => Number.isInteger(r) && (r as number) >= 0)) {
      throw new CliError(`Entry ${i} of "partitions" needs a string "topic", an integer "partition" and a "replicas" list of broker ids.`);
    }
    const replicas = o.replicas as number[];
    if (replicas.length === 0) throw new CliError(`Partition ${o.topic}-${String(o.partition)} has an empty replica list.`);
    if (new Set(replicas).size !== replicas.length) throw new CliError(`Partition ${o.topic}-${String(o.partition)} has duplicate replicas: ${replicas.join(',')}.`);
    if (o.log_dirs !== undefined) {
      if (!Array.isArray(o.log_dirs) || o.log_dirs.length !== replicas.length) throw new CliError(`Partition ${o.topic}-${String(o.partition)}: "log_dirs" must list one entry per replica.`);
      if (o.log_dirs.some((d) => d !== 'any' && !(typeof d === 'string' && d.startsWith('/')))) throw new CliError(`Partition ${o.topic}-${String(o.partition)}: each "log_dirs" entry must be "any" or an absolute path.`);
    }
    const key = `${o.topic}-${String(o.partition)}`;
    if (seen.has(key)) throw new CliError(`Reassignment JSON file contains duplicate topic partitions: ${key}.`);
    seen.add(key);
    const logDirs = o.log_dirs as string[] | undefined;
    return logDirs !== undefined && logDirs.some((d) => d !== 'any') ? { topic: o.topic, partition: o.partition as number, replicas, logDirs } : { topic: o.topic, partition: o.partition as number, replicas };
  });
}

/** Kafka's plan JSON for `parts`. */
export function planJson(parts: readonly PlannedPartition[]): string {
  return JSON.stringify({ version: 1, partitions: parts.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, log_dirs: p.replicas.map(() => 'any') })) });
}

function parseTopicsJson(doc: unknown): string[] {
  const topics = (doc as { topics?: unknown } | null)?.topics;
  if (!Array.isArray(topics) || topics.length === 0) throw new CliError('The topics-to-move JSON file has no "topics" list.', 'Example: {"version":1,"topics":[{"topic":"orders"}]}');
  return topics.map((t: unknown, i) => {
    const name = (t as { topic?: unknown } | null)?.topic;
    if (typeof name !== 'string' || name === '') throw new CliError(`Entry ${i} of "topics" needs a string "topic".`);
    return name;
  });
}

function parseBrokerList(v: string): number[] {
  const ids = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0 || !ids.every((s) => /^\d+$/.test(s))) throw new CliError(`Invalid --broker-list '${v}'.`, 'Use broker ids separated by commas, e.g. --broker-list 1,2,3');
  const out = ids.map(Number);
  if (new Set(out).size !== out.length) throw new CliError(`--broker-list names a broker twice: ${v}.`);
  return out;
}

function currentOf(md: ClusterMetadata, topics: readonly string[]): PlannedPartition[] {
  const out: PlannedPartition[] = [];
  for (const name of topics) {
    const t = md.topics.get(name);
    if (t === undefined || t.errorCode !== 0) throw new CliError(`Topic ${name} not found.`, undefined, { exitCode: ExitCode.FAILED });
    for (const p of t.partitions) out.push({ topic: name, partition: p.partition, replicas: [...p.replicas] });
  }
  return out;
}

async function generate(a: ParsedArgs, conn: KafkaConnection): Promise<number> {
  const topics = parseTopicsJson(readJson(a.require('topics-to-move-json-file'), 'topics-to-move JSON file'));
  const brokerIds = parseBrokerList(a.require('broker-list'));
  const md = await fetchMetadata(conn, topics);
  const known = new Map(md.brokers.map((b) => [b.nodeId, b]));
  const missing = brokerIds.filter((id) => !known.has(id));
  if (missing.length > 0) throw new CliError(`The following brokers are not registered in the cluster: ${missing.join(',')}.`, undefined, { exitCode: ExitCode.FAILED });
  const rackAware = !a.has('disable-rack-aware');
  const brokers: PlacementBroker[] = brokerIds.map((id) => ({ id, rack: rackAware ? (known.get(id)?.rack ?? null) : null }));
  if (rackAware && brokers.some((b) => b.rack !== null) && brokers.some((b) => b.rack === null)) {
    throw new CliError('Some of the brokers have a rack and some do not.', 'Give every broker a broker.rack, or pass --disable-rack-aware.', { exitCode: ExitCode.FAILED });
  }
  const current = currentOf(md, topics);
  const proposed: PlannedPartition[] = [];
  for (const name of topics) {
    const parts = current.filter((p) => p.topic === name);
    // Kafka places a topic at the replication factor of its first partition.
    const rf = parts[0]?.replicas.length ?? 1;
    const placed = assignReplicas(brokers, { numPartitions: parts.length, replicationFactor: rf });
    placed.forEach((replicas, partition) => proposed.push({ topic: name, partition, replicas }));
  }
  await writeOut(`Current partition replica assignment\n${planJson(current)}\n\nProposed partition reassignment configuration\n${planJson(proposed)}\n`);
  return 0;
}

function byTopic<T>(parts: readonly PlannedPartition[], map: (p: PlannedPartition) => T): { name: string; partitions: T[] }[] {
  const m = new Map<string, T[]>();
  for (const p of parts) m.set(p.topic, [...(m.get(p.topic) ?? []), map(p)]);
  return [...m].map(([name, partitions]) => ({ name, partitions }));
}

async function alter(conn: KafkaConnection, plan: readonly PlannedPartition[], cancel: boolean, timeoutMs: number): Promise<{ ok: string[]; failed: string[] }> {
  const res = await conn.request<AlterPartitionReassignmentsResponse>(ALTER_PARTITION_REASSIGNMENTS, 0, {
    timeoutMs,
    topics: byTopic(plan, (p) => ({ partitionIndex: p.partition, replicas: cancel ? null : p.replicas })),
  });
  if (res.errorCode !== 0) throw new AdminError('AlterPartitionReassignments', res.errorCode, res.errorMessage);
  const ok: string[] = [];
  const failed: string[] = [];
  for (const t of res.responses) {
    for (const p of t.partitions) {
      const name = `${t.name}-${p.partitionIndex}`;
      if (p.errorCode === 0) ok.push(name);
      else failed.push(`${name}: ${errorName(p.errorCode)}${p.errorMessage ? ` (${p.errorMessage})` : ''}`);
    }
  }
  return { ok, failed };
}

async function ongoing(conn: KafkaConnection, timeoutMs: number): Promise<Map<string, { replicas: number[]; adding: number[]; removing: number[] }>> {
  const res = await conn.request<ListPartitionReassignmentsResponse>(LIST_PARTITION_REASSIGNMENTS, 0, { timeoutMs, topics: null });
  if (res.errorCode !== 0) throw new AdminError('ListPartitionReassignments', res.errorCode, res.errorMessage);
  const out = new Map<string, { replicas: number[]; adding: number[]; removing: number[] }>();
  for (const t of res.topics) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, { replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas });
  return out;
}

const THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'] as const;
const THROTTLED_REPLICAS = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'] as const;
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const OP_SET = 0;
const OP_DELETE = 1;

type ConfigOp = { name: string; configOperation: number; value: string | null };

/** IncrementalAlterConfigs of one resource on `conn`. */
async function alterConfigs(conn: KafkaConnection, resourceType: number, resourceName: string, configs: ConfigOp[], timeoutMs: number): Promise<void> {
  const res = await conn.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 0, { resources: [{ resourceType, resourceName, configs }], validateOnly: false }, timeoutMs);
  const r = res.responses[0];
  if (r !== undefined && r.errorCode !== 0) throw new AdminError(`IncrementalAlterConfigs of ${resourceType === RESOURCE_BROKER ? 'broker' : 'topic'} ${resourceName}`, r.errorCode, r.errorMessage);
}

/**
 * A broker's own configs are changed on that broker: one connection to each (from the metadata).
 * Returns the brokers that could not be changed, with why (the caller decides whether that fails).
 */
/** Who the command's own connections to single brokers are opened as. */
type Who = Pick<ConnectionSettings, 'clientId' | 'security'>;

async function alterBrokerConfigs(md: ClusterMetadata, brokerIds: readonly number[], configs: ConfigOp[], timeoutMs: number, who: Who): Promise<string[]> {
  const failed: string[] = [];
  for (const id of brokerIds) {
    const b = md.brokers.find((x) => x.nodeId === id);
    if (b === undefined) continue; // not registered (gone): nothing to change there
    try {
      const c = await openFirst([`${b.host}:${b.port}`], { clientId: who.clientId, security: who.security, timeoutMs: Math.min(timeoutMs, 10_000) });
      try {
        await alterConfigs(c, RESOURCE_BROKER, String(id), configs, timeoutMs);
      } finally {
        c.close();
      }
    } catch (e) {
      failed.push(`broker ${id} (${b.host}:${b.port}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failed;
}

/** --throttle: the rates on every broker involved, the throttled replica lists on every moving topic. */
async function setThrottles(md: ClusterMetadata, plan: readonly PlannedPartition[], current: readonly PlannedPartition[], rate: number, timeoutMs: number, who: Who): Promise<string> {
  const leader = new Map<string, string[]>();
  const follower = new Map<string, string[]>();
  const brokers = new Set<number>();
  for (const p of plan) {
    const now = current.find((c) => c.topic === p.topic && c.partition === p.partition)?.replicas ?? [];
    if (now.join(',') === p.replicas.join(',')) continue;
    for (const b of now) leader.set(p.topic, [...(leader.get(p.topic) ?? []), `${p.partition}:${b}`]);
    for (const b of p.replicas.filter((r) => !now.includes(r))) follower.set(p.topic, [...(follower.get(p.topic) ?? []), `${p.partition}:${b}`]);
    for (const b of [...now, ...p.replicas]) brokers.add(b);
  }
  const ids = [...brokers].sort((x, y) => x - y);
  const failed = await alterBrokerConfigs(md, ids, THROTTLE_RATES.map((name) => ({ name, configOperation: OP_SET, value: String(rate) })), timeoutMs, who);
  if (failed.length > 0) throw new CliError(`Cannot set the throttle on ${failed.join('; ')}.`, 'Nothing was moved; check that every broker of the plan is reachable.', { exitCode: ExitCode.FAILED });
  const topics = [...new Set([...leader.keys(), ...follower.keys()])].sort();
  for (const t of topics) {
    const ops: ConfigOp[] = [];
    if (leader.has(t)) ops.push({ name: THROTTLED_REPLICAS[0], configOperation: OP_SET, value: (leader.get(t) as string[]).join(',') });
    if (follower.has(t)) ops.push({ name: THROTTLED_REPLICAS[1], configOperation: OP_SET, value: (follower.get(t) as string[]).join(',') });
    const c = await openFirst([`${md.brokers[0]?.host ?? ''}:${md.brokers[0]?.port ?? 0}`], { clientId: who.clientId, security: who.security, timeoutMs: Math.min(timeoutMs, 10_000) });
    try {
      await alterConfigs(c, RESOURCE_TOPIC, t, ops, timeoutMs);
    } finally {
      c.close();
    }
  }
  return `Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\nThe inter-broker throttle limit was set to ${rate} B/s on brokers ${ids.join(',')}\n`;
}

/** --verify once done: the throttled replica lists off the plan's topics, the rates off every broker. */
async function clearThrottles(conn: KafkaConnection, md: ClusterMetadata, topics: readonly string[], timeoutMs: number, who: Who): Promise<string> {
  const ids = md.brokers.map((b) => b.nodeId).sort((x, y) => x - y);
  const failed = await alterBrokerConfigs(md, ids, [...THROTTLE_RATES, ALTER_LOG_DIRS_RATE].map((name) => ({ name, configOperation: OP_DELETE, value: null })), timeoutMs, who);
  for (const t of topics) await alterConfigs(conn, RESOURCE_TOPIC, t, THROTTLED_REPLICAS.map((name) => ({ name, configOperation: OP_DELETE, value: null })), timeoutMs);
  let text = `Clearing broker-level throttles on brokers ${ids.join(',')}\nClearing topic-level throttles on topics ${topics.join(',')}\n`;
  for (const f of failed) text += `Warning: could not clear the throttle on ${f}\n`;
  return text;
}

async function execute(a: ParsedArgs, conn: KafkaConnection, s: ConnectionSettings, cancel: boolean): Promise<number> {
  const timeoutMs = s.timeout;
  const plan = parseReassignmentJson(readJson(a.require('reassignment-json-file'), 'reassignment JSON file'));
  const throttle = a.int('throttle', 1);
  const dirThrottle = a.int('replica-alter-log-dirs-throttle', 1);
  if ((throttle !== undefined || dirThrottle !== undefined) && cancel) throw new CliError('--throttle and --replica-alter-log-dirs-throttle go with --execute.', undefined, { exitCode: ExitCode.USAGE });
  const moves = cancel ? [] : logDirMoves(plan);
  let md: ClusterMetadata | undefined;
  let text = '';
  if (!cancel) {
    if (!a.has('additional') && (await ongoing(conn, timeoutMs)).size > 0) {
      throw new CliError('Cannot execute because there is an existing partition assignment.', 'Use --additional to override this and create a new partition assignment in addition to the existing one; --list shows the one in progress.', { exitCode: ExitCode.FAILED });
    }
    const meta = await fetchMetadata(conn, [...new Set(plan.map((p) => p.topic))]);
    md = meta;
    const current = plan.map((p) => ({ topic: p.topic, partition: p.partition, replicas: [...(meta.topics.get(p.topic)?.partitions[p.partition]?.replicas ?? [])] })).filter((p) => p.replicas.length > 0);
    text += `Current partition replica assignment\n\n${planJson(current)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`;
    if (throttle !== undefined) text += await setThrottles(meta, plan, current, throttle, timeoutMs, s);
    if (dirThrottle !== undefined && moves.length > 0) {
      const ids = brokersOf(moves);
      const bad = await alterBrokerConfigs(meta, ids, [{ name: ALTER_LOG_DIRS_RATE, configOperation: OP_SET, value: String(dirThrottle) }], timeoutMs, s);
      if (bad.length > 0) throw new CliError(`Cannot set the throttle on ${bad.join('; ')}.`, 'Nothing was moved; check that every broker of the plan is reachable.', { exitCode: ExitCode.FAILED });
      text += `The replica-alter-dir throttle limit was set to ${dirThrottle} B/s on brokers ${ids.join(',')}\n`;
    }
  }
  const { ok, failed } = await alter(conn, plan, cancel, timeoutMs);
  if (ok.length > 0) text += cancel ? `Successfully cancelled partition reassignments for: ${ok.join(',')}\n` : `Successfully started partition reassignments for ${ok.join(',')}\n`;
  if (failed.length > 0) text += `Error ${cancel ? 'cancelling' : 'starting'} partition reassignments:\n${failed.map((f) => `  ${f}\n`).join('')}`;
  let dirFailed: string[] = [];
  if (md !== undefined && moves.length > 0) {
    dirFailed = await alterLogDirs(md, moves, timeoutMs, s.clientId);
    const started = moves.filter((m) => !dirFailed.some((f) => f.startsWith(`${m.topic}-${m.partition} on broker ${m.broker} `)));
    if (started.length > 0) text += `Successfully started log directory moves for: ${started.map((m) => `${m.topic}-${m.partition}-${m.broker}`).join(',')}\n`;
    if (dirFailed.length > 0) text += `Error starting log directory moves:\n${dirFailed.map((f) => `  ${f}\n`).join('')}`;
  }
  await writeOut(text);
  return failed.length > 0 || dirFailed.length > 0 ? ExitCode.FAILED : 0;
}

async function verify(a: ParsedArgs, conn: KafkaConnection, s: ConnectionSettings): Promise<number> {
  const timeoutMs = s.timeout;
  const plan = parseReassignmentJson(readJson(a.require('reassignment-json-file'), 'reassignment JSON file'));
  const inProgress = await ongoing(conn, timeoutMs);
  const md = await fetchMetadata(conn, [...new Set(plan.map((p) => p.topic))]);
  let text = 'Status of partition reassignment:\n';
  let done = 0;
  for (const p of plan) {
    const name = `${p.topic}-${p.partition}`;
    const now = md.topics.get(p.topic)?.partitions[p.partition]?.replicas;
    if (inProgress.has(name)) text += `Reassignment of partition ${name} is still in progress.\n`;
    else if (now !== undefined && now.join(',') === p.replicas.join(',')) {
      text += `Reassignment of partition ${name} is completed.\n`;
      done++;
    } else text += `There is no active reassignment of partition ${name}, but replica set is ${now === undefined ? 'unknown' : `[${now.join(', ')}]`} rather than [${p.replicas.join(', ')}].\n`;
  }
  const dirs = await verifyLogDirMoves(md, logDirMoves(plan), timeoutMs, s.clientId);
  text += dirs.text;
  if (done === plan.length && dirs.complete) {
    text += '\nAll partition reassignments are complete.\n';
    if (!a.has('preserve-throttles')) text += await clearThrottles(conn, md, [...new Set(plan.map((p) => p.topic))], timeoutMs, s);
  }
  await writeOut(text);
  return 0;
}

async function list(conn: KafkaConnection, timeoutMs: number): Promise<number> {
  const inProgress = await ongoing(conn, timeoutMs);
  if (inProgress.size === 0) {
    await writeOut('No partition reassignments found.\n');
    return 0;
  }
  let text = 'Current partition reassignments:\n';
  for (const [name, r] of inProgress) text += `${name}: replicas: ${r.replicas.join(',')}. adding: ${r.adding.join(',')}. removing: ${r.removing.join(',')}.\n`;
  await writeOut(text);
  return 0;
}

export function runReassign(args: string[]): Promise<number> {
  return runConnected('samsa reassign', args, options, usage, async (a, conn, s) => {
    const actions = ['generate', 'execute', 'verify', 'cancel', 'list'].filter((x) => a.has(x));
    if (actions.length !== 1) throw new CliError('Give exactly one of --generate, --execute, --verify, --cancel, --list.', "Run 'samsa reassign --help' for usage.", { exitCode: ExitCode.USAGE });
    switch (actions[0]) {
      case 'generate':
        return generate(a, conn);
      case 'execute':
        return execute(a, conn, s, false);
      case 'cancel':
        return execute(a, conn, s, true);
      case 'verify':
        return verify(a, conn, s);
      default:
        return list(conn, s.timeout);
    }
  });
}
