/**
 * `samsa topics list|create|describe|delete|alter-partitions` — topic administration in the
 * spirit of kafka-topics.sh, against any Kafka-protocol cluster.
 */
import type { Admin } from '@platformatic/kafka';
import { formatOptions, parseArgs, type OptionSpec, type ParsedArgs } from './args.js';
import { closeQuietly, connectionOptions, connectionSettings, createAdmin, openConnection, type ConnectionSettings } from './client.js';
import { ApiKey, fetchMetadata, type TopicInfo } from '../client/admin.js';
import type { KafkaConnection } from '../client/connection.js';
import type { DescribeConfigsResponse } from '../protocol/generated/messages/describe-configs.js';
import { CliError, formatTable, reportError, toCliError, toJson, writeOut, type Cell } from './output.js';

const jsonOpt: OptionSpec = { name: 'json', value: false, help: 'Print JSON instead of a table' };
const helpOpt: OptionSpec = { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' };
const topicOpt: OptionSpec = { name: 'topic', aliases: ['-t'], arg: 'NAME', help: 'Topic name', repeat: true };

interface Sub {
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  run(a: ParsedArgs, s: ConnectionSettings): Promise<number>;
}

const CONFIG_SOURCE_DEFAULT = 5;

const subs: Record<string, Sub> = {
  list: {
    summary: 'List topics',
    usage: 'samsa topics list [options]',
    options: [{ name: 'exclude-internal', value: false, help: 'Hide internal topics (__consumer_offsets, __transaction_state)' }, jsonOpt, ...connectionOptions, helpOpt],
    run: async (a, s) => {
      const rows = await withConnection(s, async (conn) => {
        const md = await fetchMetadata(conn, null);
        const names = [...md.topics.values()].filter((t) => !(a.has('exclude-internal') && t.internal)).map((t) => t.name).sort();
        return names.map((name) => {
          const t = md.topics.get(name) as TopicInfo;
          return { name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, topicId: t.topicId, internal: t.internal };
        });
      });
      if (a.has('json')) await writeOut(toJson(rows) + '\n');
      else if (rows.length === 0) process.stderr.write('No topics.\n');
      else await writeOut(formatTable(['TOPIC', 'PARTITIONS', 'REPLICATION-FACTOR', 'TOPIC-ID'], rows.map((r) => [r.name, r.partitions, r.replicationFactor, r.topicId])));
      return 0;
    },
  },
  create: {
    summary: 'Create a topic',
    usage: 'samsa topics create --topic NAME [--partitions N] [--replication-factor N] [--config k=v]...',
    options: [
      topicOpt,
      { name: 'partitions', aliases: ['-p'], arg: 'N', help: "Partition count (default: the broker's num.partitions)" },
      { name: 'replication-factor', aliases: ['-r'], arg: 'N', help: "Replicas per partition (default: the broker's default.replication.factor)" },
      { name: 'config', aliases: ['-c'], arg: 'KEY=VALUE', repeat: true, help: 'Topic configuration override, repeatable' },
      { name: 'if-not-exists', value: false, help: 'Succeed quietly if the topic exists' },
      jsonOpt,
      ...connectionOptions,
      helpOpt,
    ],
    run: async (a, s) => {
      const topics = requireTopics(a);
      const partitions = a.int('partitions', 1, 1_000_000) ?? -1;
      const replicas = a.int('replication-factor', 1, 32767) ?? -1;
      const configs = a.pairs('config').map(([name, value]) => ({ name, value }));
      const results: { name: string; topicId: string | null; partitions: number; replicationFactor: number; created: boolean }[] = [];
      await withAdmin(s, async (admin) => {
        for (const topic of topics) {
          try {
            const [r] = await admin.createTopics({ topics: [topic], partitions, replicas, configs });
            results.push({ name: topic, topicId: r?.id ?? null, partitions: r?.partitions ?? partitions, replicationFactor: r?.replicas ?? replicas, created: true });
          } catch (e) {
            const err = toCliError(e, { what: `Cannot create topic '${topic}'` });
            if (a.has('if-not-exists') && err.message.includes('TOPIC_ALREADY_EXISTS')) {
              results.push({ name: topic, topicId: null, partitions: -1, replicationFactor: -1, created: false });
              continue;
            }
            throw err;
          }
        }
      });
      if (a.has('json')) await writeOut(toJson(results) + '\n');
      else for (const r of results) await writeOut(r.created ? `Created topic ${r.name} (${r.partitions} partitions, replication factor ${r.replicationFactor}).\n` : `Topic ${r.name} already exists.\n`);
      return 0;
    },
  },
  describe: {
    summary: 'Show partitions, leaders, replicas and configuration overrides',
    usage: 'samsa topics describe [--topic NAME]... [options]',
    options: [
      topicOpt,
      { name: 'all-configs', value: false, help: 'Show every configuration value, not only overrides' },
      { name: 'exclude-internal', value: false, help: 'Without --topic: leave out internal topics (__consumer_offsets, __transaction_state)' },
      jsonOpt,
      ...connectionOptions,
      helpOpt,
    ],
    run: async (a, s) => {
      const described = await withConnection(s, async (conn) => {
        const explicit = a.all('topic');
        const md = await fetchMetadata(conn, explicit.length > 0 ? explicit : null);
        const names = explicit.length > 0 ? explicit : [...md.topics.values()].filter((t) => !(a.has('exclude-internal') && t.internal)).map((t) => t.name).sort();
        const out = [];
        for (const name of names) {
          const t = md.topics.get(name);
          if (!t || t.errorCode !== 0) throw new CliError(`Topic '${name}' does not exist.`, "Check the name with 'samsa topics list'.", { exitCode: 1 });
          out.push({
            name,
            topicId: t.topicId,
            internal: t.internal,
            partitionCount: t.partitions.length,
            replicationFactor: t.partitions[0]?.replicas.length ?? 0,
            configs: await topicConfigs(conn, name, a.has('all-configs')),
            partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offline })),
          });
        }
        return out;
      });
      if (a.has('json')) {
        await writeOut(toJson(described) + '\n');
        return 0;
      }
      for (const t of described) {
        const cfg = Object.entries(t.configs).map(([k, v]) => `${k}=${v ?? ''}`);
        let text = `Topic: ${t.name}  TopicId: ${t.topicId}  PartitionCount: ${t.partitionCount}  ReplicationFactor: ${t.replicationFactor}\n`;
        text += `Configs: ${cfg.length ? cfg.join(',') : '(none)'}\n`;
        text += formatTable(
          ['PARTITION', 'LEADER', 'LEADER-EPOCH', 'REPLICAS', 'ISR', 'OFFLINE'],
          t.partitions.map((p): Cell[] => [p.partition, p.leader, p.leaderEpoch, p.replicas.join(','), p.isr.join(','), p.offlineReplicas.join(',') || '-']),
        );
        await writeOut(text + '\n');
      }
      return 0;
    },
  },
  delete: {
    summary: 'Delete topics',
    usage: 'samsa topics delete --topic NAME [--topic NAME]... [options]',
    options: [topicOpt, { name: 'if-exists', value: false, help: 'Succeed quietly if a topic does not exist' }, jsonOpt, ...connectionOptions, helpOpt],
    run: async (a, s) => {
      const topics = requireTopics(a);
      const results: { name: string; deleted: boolean }[] = [];
      await withAdmin(s, async (admin) => {
        for (const topic of topics) {
          try {
            await admin.deleteTopics({ topics: [topic] });
            results.push({ name: topic, deleted: true });
          } catch (e) {
            const err = toCliError(e, { what: `Cannot delete topic '${topic}'` });
            if (a.has('if-exists') && err.message.includes('UNKNOWN_TOPIC')) {
              results.push({ name: topic, deleted: false });
              continue;
            }
            throw err;
          }
        }
      });
      if (a.has('json')) await writeOut(toJson(results) + '\n');
      else for (const r of results) await writeOut(r.deleted ? `Deleted topic ${r.name}.\n` : `Topic ${r.name} does not exist.\n`);
      return 0;
    },
  },
  'alter-partitions': {
    summary: 'Increase the partition count of a topic',
    usage: 'samsa topics alter-partitions --topic NAME --partitions N [options]',
    options: [topicOpt, { name: 'partitions', aliases: ['-p'], arg: 'N', help: 'New total partition count (must be larger)' }, jsonOpt, ...connectionOptions, helpOpt],
    run: async (a, s) => {
      const topics = requireTopics(a);
      const count = a.int('partitions', 1, 1_000_000);
      if (count === undefined) throw new CliError('Missing required option --partitions.', 'Example: samsa topics alter-partitions --topic t --partitions 12');
      await withAdmin(s, async (admin) => {
        try {
          await admin.createPartitions({ topics: topics.map((name) => ({ name, count })) });
        } catch (e) {
          throw toCliError(e, { what: `Cannot change partitions of ${topics.join(', ')}` });
        }
      });
      if (a.has('json')) await writeOut(toJson(topics.map((name) => ({ name, partitions: count }))) + '\n');
      else for (const t of topics) await writeOut(`Topic ${t} now has ${count} partitions.\n`);
      return 0;
    },
  },
};

function requireTopics(a: ParsedArgs): string[] {
  const topics = [...a.all('topic'), ...a.positional];
  if (topics.length === 0) throw new CliError('Missing required option --topic.', `Run '${a.command} --help' for usage.`);
  return topics;
}

/** The topic's configs: overrides only, or every value with `all`. An error answer leaves them empty. */
async function topicConfigs(conn: KafkaConnection, name: string, all: boolean): Promise<Record<string, string | null>> {
  const configs: Record<string, string | null> = {};
  const res = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }], includeSynonyms: false });
  const r = res.results[0];
  if (!r || r.errorCode !== 0) return configs;
  for (const c of r.configs) if (all || c.configSource !== CONFIG_SOURCE_DEFAULT) configs[c.name] = c.value;
  return configs;
}

async function withConnection<T>(s: ConnectionSettings, fn: (conn: KafkaConnection) => Promise<T>): Promise<T> {
  const conn = await openConnection(s);
  try {
    return await fn(conn);
  } catch (e) {
    throw toCliError(e, { bootstrap: s.bootstrap.join(',') });
  } finally {
    conn.close();
  }
}

async function withAdmin<T>(s: ConnectionSettings, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await createAdmin(s);
  try {
    return await fn(admin);
  } catch (e) {
    throw toCliError(e, { bootstrap: s.bootstrap.join(',') });
  } finally {
    await closeQuietly(admin);
  }
}

export function topicsUsage(): string {
  const w = Math.max(...Object.keys(subs).map((k) => k.length));
  return `Usage: samsa topics <command> [options]

Commands:
${Object.entries(subs)
  .map(([k, v]) => `  ${k.padEnd(w)}  ${v.summary}`)
  .join('\n')}

Kafka's action flags work too: samsa topics --list, --create, --describe, --delete, --alter.
Run 'samsa topics <command> --help' for a command's options.
`;
}

/** kafka-topics.sh's action flags, accepted anywhere in place of the subcommand. */
const ACTION_FLAGS: Record<string, string> = { '--list': 'list', '--create': 'create', '--describe': 'describe', '--delete': 'delete', '--alter': 'alter-partitions' };

/** `--create --topic t ...` becomes `create --topic t ...`; two actions are a usage error. */
export function kafkaStyleArgs(args: readonly string[]): string[] {
  if (args[0] !== undefined && !args[0].startsWith('-')) return [...args];
  const actions = args.filter((x) => ACTION_FLAGS[x] !== undefined);
  if (actions.length === 0) return [...args];
  if (actions.length > 1) throw new CliError(`Options ${actions.join(' and ')} cannot be combined.`, 'Give exactly one of --list, --create, --describe, --delete, --alter.');
  const action = actions[0] as string;
  return [ACTION_FLAGS[action] as string, ...args.filter((x) => x !== action)];
}

export async function runTopics(argv: string[]): Promise<number> {
  let args: string[];
  try {
    args = kafkaStyleArgs(argv);
  } catch (e) {
    return reportError('samsa topics', e);
  }
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topicsUsage());
    return name === undefined ? 2 : 0;
  }
  const sub = subs[name];
  if (!sub) {
    process.stderr.write(`samsa topics: error: unknown command '${name}'.\n  hint: use one of: ${Object.keys(subs).join(', ')}.\n`);
    return 2;
  }
  const command = `samsa topics ${name}`;
  let settings: ConnectionSettings | undefined;
  try {
    const a = parseArgs(command, rest, sub.options);
    if (a.has('help')) {
      process.stdout.write(`Usage: ${sub.usage}\n\n${sub.summary}.\n\nOptions:\n${formatOptions(sub.options)}\n`);
      return 0;
    }
    if (a.positional.length > 0 && name !== 'create' && name !== 'delete' && name !== 'alter-partitions') {
      throw new CliError(`Unexpected argument '${a.positional[0]}'.`, `Run '${command} --help' for usage.`);
    }
    settings = connectionSettings(a);
    return await sub.run(a, settings);
  } catch (e) {
    return reportError(command, e, settings ? { bootstrap: settings.bootstrap.join(',') } : {});
  }
}
