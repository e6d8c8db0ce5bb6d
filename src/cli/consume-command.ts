/**
 * `samsa consume --topic T` — prints records, in the spirit of kafka-console-consumer.sh.
 *
 * Without --group the command assigns partitions itself and fetches from each partition leader
 * (no group coordinator needed); with --group it joins a consumer group and commits offsets;
 * with --share-group it joins a KIP-932 share group and acknowledges records (consume-share.ts).
 */
import type { Consumer, MessagesStream } from '@platformatic/kafka';
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { closeQuietly, connectionOptions, createConsumer } from './client.js';
import { consumerProperties, isConnectionLoss, topicsToConsume, type IsolationLevel } from './consume-options.js';
import { CliError, toCliError, toJson, writeOut } from './output.js';
import { runCommand } from './command.js';
import { consumeShareGroup } from './consume-share.js';

const FORMATS = ['value', 'key-value', 'json'] as const;
type Format = (typeof FORMATS)[number];

const options: readonly OptionSpec[] = [
  { name: 'topic', aliases: ['-t'], arg: 'NAME', help: 'Topic to consume (this or --include)' },
  { name: 'include', aliases: ['--whitelist'], arg: 'REGEX', help: 'Consume every topic whose whole name matches this regular expression' },
  { name: 'isolation-level', arg: 'LEVEL', help: 'read_uncommitted or read_committed (hide aborted and open transactions)', default: 'read_uncommitted' },
  { name: 'consumer-property', arg: 'KEY=VALUE', repeat: true, help: 'Kafka consumer property: group.id, auto.offset.reset, isolation.level, client.id, fetch.max.wait.ms' },
  { name: 'from-beginning', value: false, help: 'Start at the earliest offset (with --group: when the group has no committed offset)' },
  { name: 'offset', aliases: ['-o'], arg: 'N|earliest|latest', help: 'Start offset for each consumed partition' },
  { name: 'timestamp', arg: 'MS|ISO-DATE', help: 'Start at the first record with this timestamp or later' },
  { name: 'partition', aliases: ['-p'], arg: 'N', repeat: true, help: 'Consume only this partition, repeatable (default: all)' },
  { name: 'group', aliases: ['-g'], arg: 'ID', help: 'Consume as a member of this consumer group and commit offsets' },
  { name: 'share-group', arg: 'NAME', help: 'Consume as a member of this share group (KIP-932), accepting each printed record' },
  { name: 'max-messages', aliases: ['-n'], arg: 'N', help: 'Exit after this many records' },
  { name: 'timeout-ms', arg: 'MS', help: 'Exit when no record arrives for this long' },
  { name: 'format', aliases: ['-f'], arg: 'FORMAT', help: `Output format: ${FORMATS.join(', ')}`, default: 'value' },
  { name: 'json', value: false, help: 'Same as --format json: one JSON object per record with its metadata' },
  { name: 'key-separator', arg: 'SEP', help: 'Separator between key and value in key-value format', default: '\\t' },
  { name: 'property', arg: 'KEY=VALUE', repeat: true, help: "Kafka formatter property: print.key, print.value, print.timestamp, print.partition, print.offset, print.headers, key.separator, null.literal" },
  { name: 'max-wait-ms', arg: 'MS', help: 'Longest time a fetch waits for data', default: '500' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa consume (--topic NAME | --include REGEX) [options]

Prints records from a topic, one per line, until interrupted, --max-messages or --timeout-ms.
By default it starts at the end of each partition (new records only).

Options:
${formatOptions(options)}

Examples:
  samsa consume --topic events --from-beginning --max-messages 10
  samsa consume --topic events --format key-value --partition 0 --offset 42
  samsa consume --topic events --json --timestamp 2024-05-01T12:00:00Z --timeout-ms 2000
  samsa consume --topic jobs --share-group workers --max-messages 100
`;

interface Printer {
  format: Format;
  keySeparator: string;
  printKey: boolean;
  printValue: boolean;
  printTimestamp: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  nullLiteral: string;
}

export interface OutRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}

function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function printer(a: ParsedArgs): Printer {
  let format = (a.has('json') ? 'json' : (a.get('format') ?? 'value')) as Format;
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`Unknown --format '${format}'.`, `Use one of: ${FORMATS.join(', ')}.`);
  const props = new Map(a.pairs('property'));
  const flag = (k: string, def: boolean): boolean => (props.has(k) ? props.get(k) === 'true' : def);
  if (flag('print.key', false) && format === 'value') format = 'key-value';
  return {
    format,
    keySeparator: unescape(props.get('key.separator') ?? a.get('key-separator') ?? '\t'),
    printKey: format === 'key-value',
    printValue: flag('print.value', true),
    printTimestamp: flag('print.timestamp', false),
    printPartition: flag('print.partition', false),
    printOffset: flag('print.offset', false),
    printHeaders: flag('print.headers', false),
    nullLiteral: props.get('null.literal') ?? 'null',
  };
}

export function formatRecord(r: OutRecord, p: Printer): string {
  const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
  if (p.format === 'json') {
    return (
      toJson({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: text(r.key),
        value: text(r.value),
        headers: Object.fromEntries(r.headers.map(([k, v]) => [text(k) ?? '', text(v)])),
      }) + '\n'
    );
  }
  const parts: string[] = [];
  if (p.printTimestamp) parts.push(`CreateTime:${r.timestamp}`);
  if (p.printPartition) parts.push(`Partition:${r.partition}`);
  if (p.printOffset) parts.push(`Offset:${r.offset}`);
  if (p.printHeaders) parts.push(r.headers.length ? r.headers.map(([k, v]) => `${text(k) ?? ''}:${text(v) ?? p.nullLiteral}`).join(',') : 'NO_HEADERS');
  if (p.printKey) parts.push(text(r.key) ?? p.nullLiteral);
  if (p.printValue) parts.push(text(r.value) ?? p.nullLiteral);
  const sep = p.printKey && !p.printTimestamp && !p.printPartition && !p.printOffset && !p.printHeaders ? p.keySeparator : '\t';
  return parts.join(sep) + '\n';
}

type StartSpec = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; ts: bigint };

export function parseStart(a: ParsedArgs): StartSpec {
  const given = ['from-beginning', 'offset', 'timestamp'].filter((k) => a.has(k));
  if (given.length > 1) throw new CliError(`Options ${given.map((g) => `--${g}`).join(' and ')} cannot be combined.`, 'Choose one way to pick the start position.');
  if (a.has('from-beginning')) return { kind: 'earliest' };
  const off = a.get('offset');
  if (off !== undefined) {
    if (off === 'earliest' || off === 'beginning') return { kind: 'earliest' };
    if (off === 'latest' || off === 'end') return { kind: 'latest' };
    if (!/^\d+$/.test(off)) throw new CliError(`Invalid --offset '${off}'.`, "Use a non-negative number, 'earliest' or 'latest'.");
    return { kind: 'offset', offset: BigInt(off) };
  }
  const ts = a.get('timestamp');
  if (ts !== undefined) {
    const ms = /^\d+$/.test(ts) ? Number(ts) : Date.parse(ts);
    if (!Number.isFinite(ms)) throw new CliError(`Invalid --timestamp '${ts}'.`, 'Use milliseconds since the epoch or an ISO date such as 2024-05-01T12:00:00Z.');
    return { kind: 'timestamp', ts: BigInt(ms) };
  }
  return { kind: 'latest' };
}

export async function runConsume(args: string[]): Promise<number> {
  return runCommand('samsa consume', args, options, usage, async (a, initial) => {
    let settings = initial;
    const props = consumerProperties(a);
    const p = printer(a);
    const start = props.fromBeginning && !a.has('offset') && !a.has('timestamp') ? ({ kind: 'earliest' } as const) : parseStart(a);
    const maxMessages = a.int('max-messages', 1);
    const timeoutMs = a.int('timeout-ms', 1);
    const maxWait = props.maxWait ?? a.int('max-wait-ms', 0, 60_000) ?? 500;
    const partitions = a.all('partition').map((v) => {
      if (!/^\d+$/.test(v)) throw new CliError(`Invalid --partition '${v}'.`, 'Use a partition number such as 0.');
      return Number(v);
    });
    const group = a.get('group') ?? props.group;
    if (group !== undefined && (partitions.length > 0 || start.kind === 'offset' || start.kind === 'timestamp')) {
      throw new CliError('--group cannot be combined with --partition, --offset or --timestamp.', 'A group decides partitions and start offsets itself; use --from-beginning for a group without committed offsets.');
    }
    const limits: Limits = { maxMessages, timeoutMs };
    if (props.clientId !== undefined) settings = { ...settings, clientId: props.clientId };
    const topics = await topicsToConsume(settings, a);
    const shareGroup = a.get('share-group');
    if (shareGroup !== undefined) {
      if (group !== undefined || partitions.length > 0 || start.kind !== 'latest') throw new CliError('--share-group cannot be combined with --group, --partition, --offset, --timestamp or --from-beginning.', "A share group's start is the broker's group.share.auto.offset.reset.");
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await consumeShareGroup(settings, { group: shareGroup, topics, maxMessages, timeoutMs, maxWaitMs: maxWait, signal: stop.signal }, (r) => writeOut(formatRecord({ ...r, headers: [] }, p)));
      } catch (e) {
        throw toCliError(e, { bootstrap: settings.bootstrap.join(','), what: `Cannot consume '${topics.join(',')}' in share group '${shareGroup}'` });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return 0;
    }
    const consumer = await createConsumer(settings, group ?? 'samsa-cli', { maxWaitTime: maxWait, isolationLevel: props.isolationLevel });
    const topic = topics.join(',');
    let count = 0;
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const emit = async (r: OutRecord): Promise<void> => {
        count++;
        await writeOut(formatRecord(r, p));
      };
      if (group !== undefined) await consumeGroup(consumer, topics, start.kind === 'earliest', limits, stop.signal, emit);
      else {
        // One fetch loop per topic; --max-messages counts across all of them.
        const all = new AbortController();
        const onStop = (): void => all.abort();
        stop.signal.addEventListener('abort', onStop);
        const shared = async (r: OutRecord): Promise<void> => {
          if (limits.maxMessages !== undefined && count >= limits.maxMessages) return;
          await emit(r);
          if (limits.maxMessages !== undefined && count >= limits.maxMessages) all.abort();
        };
        try {
          await Promise.all(topics.map((tp) => consumeAssigned(consumer, tp, partitions, start, { maxMessages: undefined, timeoutMs }, all.signal, shared, maxWait, props.isolationLevel)));
        } finally {
          stop.signal.removeEventListener('abort', onStop);
        }
      }
    } catch (e) {
      throw toCliError(e, { bootstrap: settings.bootstrap.join(','), what: `Cannot consume '${topic}'` });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await closeQuietly(consumer);
    }
    process.stderr.write(`Processed a total of ${count} messages\n`);
    return 0;
  });
}

interface Limits {
  maxMessages: number | undefined;
  timeoutMs: number | undefined;
}

/** Fetches the chosen partitions directly from their leaders. Returns the number of records emitted. */
export async function consumeAssigned(
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  topic: string,
  onlyPartitions: number[],
  start: StartSpec,
  limits: Limits,
  signal: AbortSignal,
  emit: (r: OutRecord) => Promise<void>,
  maxWait: number,
  isolationLevel: IsolationLevel = 0,
): Promise<number> {
  const md = await consumer.metadata({ topics: [topic] });
  const t = md.topics.get(topic);
  if (!t) throw new CliError(`Topic '${topic}' does not exist.`, "Check the name with 'samsa topics list'.", { exitCode: 1 });
  const all = Array.from({ length: t.partitionsCount }, (_, i) => i);
  for (const p of onlyPartitions) {
    if (p >= t.partitionsCount) throw new CliError(`Partition ${p} does not exist: topic '${topic}' has ${t.partitionsCount} partitions.`, undefined, { exitCode: 1 });
  }
  const parts = onlyPartitions.length > 0 ? [...new Set(onlyPartitions)].sort((x, y) => x - y) : all;
  const positions = new Map<number, bigint>();
  const partitionFilter = { [topic]: parts };
  if (start.kind === 'offset') {
    for (const p of parts) positions.set(p, start.offset);
  } else {
    const timestamp = start.kind === 'earliest' ? -2n : start.kind === 'latest' ? -1n : start.ts;
    const offs = (await consumer.listOffsets({ topics: [topic], partitions: partitionFilter, timestamp })).get(topic) ?? [];
    let ends: bigint[] | undefined;
    for (const p of parts) {
      let o = offs[p] ?? -1n;
      if (o < 0n) {
        // No record at or after the timestamp: start at the end.
        ends ??= (await consumer.listOffsets({ topics: [topic], partitions: partitionFilter, timestamp: -1n })).get(topic) ?? [];
        o = ends[p] ?? 0n;
      }
      positions.set(p, o);
    }
  }

  let emitted = 0;
  let lastActivity = Date.now();
  const byLeader = new Map<number, number[]>();
  for (const p of parts) {
    const leader = t.partitions[p]?.leader ?? -1;
    if (leader < 0) throw new CliError(`Partition ${p} of '${topic}' has no leader.`, 'Wait for the cluster to elect one and retry.', { exitCode: 1 });
    const list = byLeader.get(leader) ?? [];
    list.push(p);
    byLeader.set(leader, list);
  }
  const done = (): boolean => signal.aborted || (limits.maxMessages !== undefined && emitted >= limits.maxMessages);
  const wait = limits.timeoutMs !== undefined ? Math.min(maxWait, limits.timeoutMs) : maxWait;
  let lostSince: number | null = null;
  while (!done()) {
    let results;
    try {
      results = await Promise.all(
        [...byLeader].map(([node, ps]) =>
          consumer.fetch({
            node,
            maxWaitTime: wait,
            isolationLevel,
            topics: [{ topicId: t.id, partitions: ps.map((p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: positions.get(p) as bigint, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 })) }],
          }),
        ),
      );
    } catch (e) {
      // kafka-console-consumer keeps retrying through a broker restart; so does this, from the
      // same positions, until the user stops it (or --timeout-ms passes without records).
      if (!isConnectionLoss(e) || signal.aborted) throw e;
      const now = Date.now();
      if (lostSince === null) {
        lostSince = now;
        process.stderr.write(`WARN: lost the connection to the cluster; reconnecting...\n`);
      }
      if (limits.timeoutMs !== undefined && now - lastActivity >= limits.timeoutMs) break;
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (lostSince !== null) {
      process.stderr.write('Reconnected.\n');
      lostSince = null;
    }
    let got = 0;
    for (const res of results) {
      for (const tr of res.responses) {
        for (const pr of tr.partitions) {
          if (pr.errorCode !== 0) {
            throw new CliError(`Fetch from partition ${pr.partitionIndex} failed with Kafka error code ${pr.errorCode}.`, pr.errorCode === 1 ? 'The start offset is out of range; use --from-beginning or a smaller --offset.' : undefined, { exitCode: 1 });
          }
          const p = pr.partitionIndex;
          let pos = positions.get(p) as bigint;
          for (const batch of pr.records ?? []) {
            if ((batch.attributes & 0x20) !== 0) {
              pos = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
              continue; // control batch (transaction marker)
            }
            for (const rec of batch.records) {
              const off = batch.firstOffset + BigInt(rec.offsetDelta);
              if (off < pos) continue;
              await emit({ topic, partition: p, offset: off, timestamp: batch.firstTimestamp + rec.timestampDelta, key: rec.key, value: rec.value, headers: rec.headers });
              emitted++;
              got++;
              pos = off + 1n;
              if (done()) return emitted;
            }
            const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
            if (next > pos) pos = next;
          }
          positions.set(p, pos);
        }
      }
    }
    const now = Date.now();
    if (got > 0) lastActivity = now;
    else if (limits.timeoutMs !== undefined && now - lastActivity >= limits.timeoutMs) break;
  }
  return emitted;
}

async function consumeGroup(
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  topics: string[],
  fromBeginning: boolean,
  limits: Limits,
  signal: AbortSignal,
  emit: (r: OutRecord) => Promise<void>,
): Promise<void> {
  const stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> = await consumer.consume({
    topics,
    mode: 'committed',
    fallbackMode: fromBeginning ? 'earliest' : 'latest',
    autocommit: false,
  });
  let emitted = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (limits.timeoutMs === undefined) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void stream.close(), limits.timeoutMs);
  };
  const onAbort = (): void => void stream.close();
  signal.addEventListener('abort', onAbort);
  arm();
  try {
    for await (const m of stream) {
      arm();
      await emit({
        topic: m.topic,
        partition: m.partition,
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key ?? null,
        value: m.value ?? null,
        headers: [...m.headers.entries()],
      });
      await m.commit();
      emitted++;
      if (limits.maxMessages !== undefined && emitted >= limits.maxMessages) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    await stream.close().catch(() => undefined);
  }
}

export { usage as consumeUsage };
