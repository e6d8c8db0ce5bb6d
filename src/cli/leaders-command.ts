/**
 * `samsa leaders elect --election-type PREFERRED|UNCLEAN (--topic T --partition P |
 * --all-topic-partitions | --path-to-json-file F)` — kafka-leader-election.sh: one ElectLeaders
 * (v2) request for the named partitions, or for every partition (a null list).
 * Kafka's output: "Successfully completed leader election (TYPE) for partitions t-0, t-1" for the
 * partitions that got a new leader, "Valid replica already elected for partitions ..." for those
 * answered ELECTION_NOT_NEEDED, and one "Error completing leader election (TYPE) for partition:
 * t-0: <error>" line per failure, with exit code 1. The JSON file is Kafka's
 * {"partitions":[{"topic":"t","partition":0}]}; a partition listed twice is refused.
 * Samsa deviation: the request goes to the bootstrap broker, which writes the elections itself
 * (Kafka's admin client sends it to the controller).
 */
import { readFileSync } from 'node:fs';
import { AdminError, ApiKey } from '../client/admin.js';
import { ErrorCode, errorName } from '../common/error-codes.js';
import type { ElectLeadersResponse } from '../protocol/generated/messages/elect-leaders.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { CliError, ExitCode, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'election-type', arg: 'PREFERRED|UNCLEAN', help: 'PREFERRED: the first replica leads again if alive and in sync; UNCLEAN: elect a live replica of a leaderless partition, even one out of sync' },
  { name: 'topic', arg: 'TOPIC', help: 'The topic of the partition to elect (with --partition)' },
  { name: 'partition', arg: 'N', help: 'The partition to elect (with --topic)' },
  { name: 'all-topic-partitions', value: false, help: 'Every partition of every topic' },
  { name: 'path-to-json-file', arg: 'FILE', help: 'Kafka\'s JSON: {"partitions":[{"topic":"t","partition":0}]}' },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa leaders elect --election-type PREFERRED|UNCLEAN
         (--topic T --partition P | --all-topic-partitions | --path-to-json-file FILE) [options]

Elects partition leaders (like kafka-leader-election.sh).

Options:
${formatOptions(options)}

Example file:
  {"partitions": [{"topic": "orders", "partition": 0}, {"topic": "orders", "partition": 1}]}
`;

const ELECTION_TYPES = { PREFERRED: 0, UNCLEAN: 1 } as const;
type ElectionTypeName = keyof typeof ELECTION_TYPES;

interface Wanted {
  topic: string;
  partition: number;
}

export function parsePartitionsJson(text: string): Wanted[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CliError(`The partitions JSON file is not valid JSON: ${(e as Error).message}.`, undefined, { exitCode: ExitCode.USAGE });
  }
  const parts = (doc as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(parts)) throw new CliError('The partitions JSON file has no "partitions" list.', 'Example: {"partitions":[{"topic":"t","partition":0}]}', { exitCode: ExitCode.USAGE });
  const seen = new Set<string>();
  return parts.map((p: unknown, i) => {
    const o = p as { topic?: unknown; partition?: unknown } | null;
    if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || (o.partition as number) < 0) {
      throw new CliError(`Entry ${i} of "partitions" needs a string "topic" and a non-negative integer "partition".`, undefined, { exitCode: ExitCode.USAGE });
    }
    const key = `${o.topic}-${String(o.partition)}`;
    if (seen.has(key)) throw new CliError(`Replica election data contains duplicate partitions: ${key}.`, undefined, { exitCode: ExitCode.USAGE });
    seen.add(key);
    return { topic: o.topic, partition: o.partition as number };
  });
}

/** The partitions asked for, or null for every partition (--all-topic-partitions). */
function wantedPartitions(a: { has(n: string): boolean; get(n: string): string | undefined; int(n: string, min?: number, max?: number): number | undefined }): Wanted[] | null {
  const sources = ['topic', 'all-topic-partitions', 'path-to-json-file'].filter((n) => a.has(n));
  if (a.has('partition') && !a.has('topic')) throw new CliError('--partition needs --topic.', undefined, { exitCode: ExitCode.USAGE });
  if (sources.length !== 1) throw new CliError('Exactly one of --topic (with --partition), --all-topic-partitions or --path-to-json-file must be given.', "Run 'samsa leaders elect --help' for usage.", { exitCode: ExitCode.USAGE });
  if (a.has('all-topic-partitions')) return null;
  const file = a.get('path-to-json-file');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read ${file}: ${(e as Error).message}.`, undefined, { exitCode: ExitCode.USAGE });
    }
    return parsePartitionsJson(text);
  }
  const partition = a.int('partition', 0);
  if (partition === undefined) throw new CliError('--topic needs --partition.', undefined, { exitCode: ExitCode.USAGE });
  return [{ topic: a.get('topic') as string, partition }];
}

export function runLeaders(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || action === undefined) {
    process.stdout.write(usage);
    return Promise.resolve(action === undefined ? ExitCode.USAGE : 0);
  }
  if (action !== 'elect') {
    process.stderr.write(`samsa leaders: unknown action '${action}'.\nRun 'samsa leaders elect --help' for usage.\n`);
    return Promise.resolve(ExitCode.USAGE);
  }
  return runConnected('samsa leaders elect', rest, options, usage, async (a, conn, s) => {
    const typeName = a.get('election-type')?.toUpperCase();
    if (typeName === undefined) throw new CliError('--election-type is required.', 'Use --election-type PREFERRED or --election-type UNCLEAN.', { exitCode: ExitCode.USAGE });
    if (!(typeName in ELECTION_TYPES)) throw new CliError(`Unknown election type '${a.get('election-type') ?? ''}'.`, 'Use PREFERRED or UNCLEAN.', { exitCode: ExitCode.USAGE });
    const electionType = ELECTION_TYPES[typeName as ElectionTypeName];
    const wanted = wantedPartitions(a);
    const byTopic = new Map<string, number[]>();
    for (const w of wanted ?? []) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), w.partition]);
    const res = await conn.request<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, {
      electionType,
      topicPartitions: wanted === null ? null : [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      timeoutMs: s.timeout,
    });
    if (res.errorCode !== ErrorCode.NONE) throw new AdminError('ElectLeaders', res.errorCode);
    const results = res.replicaElectionResults.flatMap((t) =>
      t.partitionResult.map((p) => ({ partition: `${t.topic}-${p.partitionId}`, error: p.errorCode === ErrorCode.NONE ? null : errorName(p.errorCode), errorCode: p.errorCode, message: p.errorMessage })),
    );
    const succeeded = results.filter((r) => r.errorCode === ErrorCode.NONE);
    const noop = results.filter((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED);
    const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
    if (a.has('json')) {
      await writeOut(toJson({ electionType: typeName, results: results.map(({ partition, error, message }) => ({ partition, error, message })) }) + '\n');
    } else {
      let out = '';
      if (succeeded.length > 0) out += `Successfully completed leader election (${typeName}) for partitions ${succeeded.map((r) => r.partition).join(', ')}\n`;
      if (noop.length > 0) out += `Valid replica already elected for partitions ${noop.map((r) => r.partition).join(', ')}\n`;
      for (const r of failed) out += `Error completing leader election (${typeName}) for partition: ${r.partition}: ${r.error ?? ''}${r.message !== null ? `: ${r.message}` : ''}\n`;
      if (results.length === 0) out += `No partition needed a leader election (${typeName})\n`;
      await writeOut(out);
    }
    if (failed.length > 0) {
      process.stderr.write(`${failed.length} replica(s) could not be elected\n`);
      return ExitCode.FAILED;
    }
    return 0;
  });
}
