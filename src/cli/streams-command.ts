/**
 * `samsa streams reset --application-id ID [--input-topics a,b] [--to-earliest] [--dry-run]` —
 * kafka-streams-application-reset.sh over src/streams/reset.ts: the application's consumer group
 * offsets of its input topics go back to the earliest offsets and its internal topics
 * (repartition, changelog, foreign-key subscription/response topics) are deleted.
 *
 * Kafka's behaviour kept: refused while the group has members ("still active", exit 1); input
 * topics that do not exist are reported, not created; --to-earliest is the reset mode;
 * --dry-run prints what would happen and changes nothing; local state is not touched (the
 * application's cleanUp() does that). Samsa's deviations: --to-earliest is the only mode (no
 * --to-latest, --to-offset, --to-datetime, --by-duration, --from-file); no --intermediate-topics
 * or --internal-topics lists (internal topics are found by the application id prefix); plaintext
 * connections only (no --command-config); --force (removing active members) is not there.
 */
import { resetApplication } from '../streams/reset.js';
import { formatOptions, type OptionSpec } from './args.js';
import { runCommand } from './command.js';
import { CliError, ExitCode, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'application-id', arg: 'ID', help: 'The Streams application id (its consumer group and internal topic prefix)' },
  { name: 'input-topics', arg: 'TOPICS', repeat: true, help: 'Comma-separated input topics whose committed offsets are reset' },
  { name: 'to-earliest', value: false, help: 'Reset the input offsets to the earliest offsets (the default and only mode)' },
  { name: 'dry-run', value: false, help: 'Print what would be reset and deleted, change nothing' },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  { name: 'bootstrap-server', aliases: ['-b', '--bootstrap-servers'], arg: 'HOST:PORT[,..]', help: 'Brokers to connect to', default: 'localhost:9092' },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa streams reset --application-id ID [--input-topics a,b] [--to-earliest] [--dry-run] [options]

Resets a Kafka Streams (or samsa/streams) application so that it reprocesses its input from the
beginning, like kafka-streams-application-reset.sh: the input topics' committed offsets of group
ID go to the earliest offsets and the application's internal topics are deleted. Stop every
instance first; then delete the local state (KafkaStreams#cleanUp()) before restarting.

Options:
${formatOptions(options)}`;

export async function runStreams(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    await writeOut(usage);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'reset') {
    process.stderr.write(`samsa streams: unknown subcommand '${sub}' (only 'reset')\n`);
    return 2;
  }
  return runCommand('samsa streams reset', rest, options, usage, async (a, s) => {
    const applicationId = a.require('application-id');
    const inputTopics = a.all('input-topics').flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
    const dryRun = a.has('dry-run');
    let result;
    try {
      result = await resetApplication({ applicationId, bootstrapServers: s.bootstrap, inputTopics, dryRun });
    } catch (e) {
      if (e instanceof Error && /still active/.test(e.message)) throw new CliError(e.message, 'Stop every instance of the application (or wait for session.timeout.ms) and run again.', { exitCode: ExitCode.FAILED });
      throw e;
    }
    if (a.has('json')) {
      await writeOut(toJson({ applicationId, dryRun, reset: result.reset.map((r) => ({ ...r, offset: r.offset.toString() })), missingInputTopics: result.missingInputTopics, deletedTopics: result.deletedTopics }) + '\n');
      return result.missingInputTopics.length > 0 ? 1 : 0;
    }
    const lines: string[] = [];
    if (dryRun) lines.push('----Dry run----');
    for (const t of result.missingInputTopics) lines.push(`Input topic ${t} not found. Skipping.`);
    if (result.reset.length > 0) {
      lines.push(`Reset-offsets for input topics [${[...new Set(result.reset.map((r) => r.topic))].join(', ')}]`, `Following input topics offsets will be reset to (for consumer group ${applicationId})`);
      for (const r of result.reset) lines.push(`Topic: ${r.topic} Partition: ${r.partition} Offset: ${r.offset}`);
      lines.push('Done.');
    } else lines.push('No input topics specified, skipping resetting input offsets.');
    lines.push(`Deleting inferred internal topics [${result.deletedTopics.join(', ')}]`);
    for (const t of result.deletedTopics) lines.push(`Topic: ${t}`);
    lines.push('Done.');
    await writeOut(lines.join('\n') + '\n');
    return result.missingInputTopics.length > 0 ? 1 : 0;
  });
}
