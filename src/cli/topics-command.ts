/**
 * `samsa topics list|create|describe|delete|alter-partitions` — topic administration in the
 * spirit of kafka-topics.sh, against any Kafka-protocol cluster.
 */
import type { Admin } from '@platformatic/kafka';
import { formatOptions, parseArgs, type OptionSpec, type ParsedArgs } from './args.js';
import { closeQuietly, connectionOptions, connectionSettings, createAdmin, type ConnectionSettings } from './client.js';
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
    options: [{ name: 'exclude-internal', value: false, help: 'Hide internal topics (names starting with __)' }, jsonOpt, ...connectionOptions, helpOpt],
    run: async (a, s) => {
      const rows = await withAdmin(s, async (admin) => {
        let names = (await admin.listTopics({ includeInternals: !a.has('exclude-internal') })).sort();
        if (a.has('exclude-internal')) names = names.filter((n) => !n.startsWith('__'));
        if (names.length === 0) return [];
        const md = await admin.metadata({ topics: names });
        return names.map((name) => {
          const t = md.topics.get(name);
          return { name, partitions: t?.partitionsCount ?? 0, replicationFactor: t?.partitions[0]?.replicas.length ?? 0, topicId: t?.id ?? null };
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
    options: [topicOpt, { name: 'all-configs', value: false, help: 'Show every configuration value, not only overrides' }, jsonOpt, ...connectionOptions, helpOpt],
    run: async (a, s) => {
      const described = await withAdmin(s, async (admin) => {
        let names = a.all('topic');
        const explicit = names.length > 0;
        if (!explicit) names = (await admin.listTopics({ includeInternals: true })).sort();
        if (names.length === 0) return [];
        const md = await admin.metadata({ topics: names });
        const out = [];
        for (const name of names) {
          const t = md.topics.get(name);
          if (!t) throw new CliError(`Topic '${name}' does not exist.`, "Check the name with 'samsa topics list'.", { exitCode: 1 });
          let configs: Record<string, string | null> = {};
          try {
            const [desc] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: name }] });
            for (const c of desc?.configs ?? []) {
              if (a.has('all-configs') || c.configSource !== CONFIG_SOURCE_DEFAULT) configs[c.name] = c.value ?? null;
            }
          } catch {
            configs = {};
          }
          out.push({
            name,
            topicId: t.id,
            partitionCount: t.partitionsCount,
            replicationFactor: t.partitions[0]?.replicas.length ?? 0,
            configs,
            partitions: t.partitions.map((p, i) => ({ partition: i, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas })),
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

Run 'samsa topics <command> --help' for a command's options.
`;
}

export async function runTopics(args: string[]): Promise<number> {
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
