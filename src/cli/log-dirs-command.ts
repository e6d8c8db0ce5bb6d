/**
 * `samsa log-dirs --describe [--topic-list t1,t2]` — kafka-log-dirs.sh: each broker's log
 * directories and the size of every partition in them, printed as Kafka's JSON
 * ({"version":1,"brokers":[{"broker":1,"logDirs":[{"logDir":...,"error":null,"partitions":[...]}]}]}).
 * DescribeLogDirs v4 goes to every live broker (Metadata's broker list), or to those named by
 * --broker-list, each over its own connection: a broker describes only its own directories. A
 * broker that cannot be reached is left out and named on stderr (Kafka's tool fails instead);
 * a broker id in --broker-list that is not live is an error, as in Kafka.
 */
import { AdminError, ApiKey, fetchMetadata } from '../client/admin.js';
import { KafkaConnection } from '../client/connection.js';
import { errorName } from '../common/error-codes.js';
import type { DescribeLogDirsResponse } from '../protocol/generated/messages/describe-log-dirs.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { CliError, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'describe', value: false, help: 'Describe the log directories (the only action; may be omitted)' },
  { name: 'topic-list', arg: 'T1,T2', help: 'Only these topics (default: all)' },
  { name: 'broker-list', arg: 'ID1,ID2', help: 'Only these brokers (default: all)' },
  // --broker-list names brokers here (kafka-log-dirs.sh), not bootstrap servers as elsewhere.
  ...connectionOptions.map((o) => (o.aliases === undefined ? o : { ...o, aliases: o.aliases.filter((x) => x !== '--broker-list') })),
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa log-dirs [--describe] [--topic-list T1,T2] [--broker-list 1,2] [options]

Prints each broker's log directories and partition sizes as JSON (like kafka-log-dirs.sh).

Options:
${formatOptions(options)}
`;

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter((x) => x.length > 0);

export function runLogDirs(args: string[]): Promise<number> {
  return runConnected('samsa log-dirs', args, options, usage, async (a, conn, s) => {
    const topics = list(a.get('topic-list'));
    const brokers = list(a.get('broker-list')).map((b) => {
      if (!/^\d+$/.test(b)) throw new CliError(`Invalid broker id '${b}' in --broker-list.`);
      return Number(b);
    });
    const md = await fetchMetadata(conn, topics.length > 0 ? topics : null);
    const request = topics.length === 0 ? null : topics.map((t) => ({ topic: t, partitions: (md.topics.get(t)?.partitions ?? []).map((p) => p.partition) }));
    const live = new Map(md.brokers.map((b) => [b.nodeId, b]));
    const missing = brokers.filter((id) => !live.has(id));
    if (missing.length > 0) throw new CliError(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${[...live.keys()].sort((x, y) => x - y).join(',')}`);
    const targets = (brokers.length > 0 ? brokers : [...live.keys()]).sort((x, y) => x - y);
    process.stderr.write(`Querying brokers for log directories information\n`);
    const answers = await Promise.all(
      targets.map(async (id) => {
        const b = live.get(id) as { host: string; port: number };
        let c: KafkaConnection | null = null;
        try {
          c = await KafkaConnection.open(`${b.host}:${b.port}`, { clientId: s.clientId, timeoutMs: Math.min(s.timeout, 10_000), security: s.security });
          const res = await c.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 4, { topics: request });
          if (res.errorCode !== 0) throw new AdminError('DescribeLogDirs', res.errorCode);
          return { broker: id, res };
        } catch (e) {
          if (e instanceof AdminError) throw e;
          process.stderr.write(`Broker ${id} at ${b.host}:${b.port} did not answer: ${(e as Error).message}\n`);
          return { broker: id, res: null };
        } finally {
          c?.close();
        }
      }),
    );
    const answered = answers.filter((x): x is { broker: number; res: DescribeLogDirsResponse } => x.res !== null);
    process.stderr.write(`Received log directory information from brokers ${answered.map((x) => x.broker).join(',')}\n`);
    const doc = {
      version: 1,
      brokers: answered.map(({ broker, res }) => ({
        broker,
        logDirs: res.results.map((d) => ({
          logDir: d.logDir,
          error: d.errorCode === 0 ? null : errorName(d.errorCode),
          partitions: d.topics.flatMap((t) => t.partitions.map((p) => ({ partition: `${t.name}-${p.partitionIndex}`, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey }))),
        })),
      })),
    };
    await writeOut(toJson(doc) + '\n');
    return 0;
  });
}
