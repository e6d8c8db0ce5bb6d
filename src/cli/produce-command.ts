/**
 * `samsa produce --topic T` — reads records from stdin, one per line, in the spirit of
 * kafka-console-producer.sh (including its `--property parse.key=true --property key.separator=:`
 * and `parse.headers` properties).
 */
import { createInterface } from 'node:readline';
import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { murmur2, toPositive } from '../common/murmur2.js';
import { formatOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { closeQuietly, connectionOptions, createProducer, parseAcks, parseCompression } from './client.js';
import { CliError, toCliError, toJson, writeOut } from './output.js';
import { runCommand } from './command.js';

const options: readonly OptionSpec[] = [
  { name: 'topic', aliases: ['-t'], arg: 'NAME', help: 'Topic to produce to (required)' },
  { name: 'property', arg: 'KEY=VALUE', repeat: true, help: 'Reader property, as in Kafka: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker' },
  { name: 'key-separator', aliases: ['-K'], arg: 'SEP', help: 'Split each line into key and value at the first SEP (same as parse.key=true, key.separator=SEP)' },
  { name: 'header', aliases: ['-H'], arg: 'KEY=VALUE', repeat: true, help: 'Header added to every record, repeatable' },
  { name: 'partition', aliases: ['-p'], arg: 'N', help: 'Send every record to this partition (default: by key hash, round robin without key)' },
  { name: 'compression', aliases: ['-z', '--compression-codec'], arg: 'CODEC', help: 'none, gzip, snappy, lz4 or zstd', default: 'none' },
  { name: 'acks', aliases: ['--request-required-acks'], arg: 'ACKS', help: '0, 1 or all (-1)', default: 'all' },
  { name: 'batch-size', arg: 'N', help: 'Records per produce request at most', default: '1000' },
  { name: 'linger-ms', arg: 'MS', help: 'Wait this long for more lines before sending a partial batch', default: '5' },
  { name: 'producer-property', arg: 'KEY=VALUE', repeat: true, help: 'Kafka producer property: acks, compression.type, linger.ms, enable.idempotence, client.id' },
  { name: 'json', value: false, help: 'Print a JSON summary (records, bytes, last offsets) when done' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa produce --topic NAME [options] < records.txt

Reads records from standard input, one per line, and produces them to a topic.
With --key-separator (or --property parse.key=true) each line is KEY<sep>VALUE.
With --property parse.headers=true each line starts with headers: k1:v1,k2:v2<TAB>...

Options:
${formatOptions(options)}

Examples:
  echo hello | samsa produce --topic greetings
  printf 'user1:clicked\\n' | samsa produce --topic events --property parse.key=true --property key.separator=:
`;

interface LineFormat {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  nullMarker: string | undefined;
  ignoreError: boolean;
}

const KNOWN_PROPERTIES = new Set(['parse.key', 'key.separator', 'parse.headers', 'headers.delimiter', 'headers.separator', 'headers.key.separator', 'null.marker', 'ignore.error']);

export function lineFormat(a: ParsedArgs): LineFormat {
  const props = new Map(a.pairs('property'));
  for (const k of props.keys()) {
    if (!KNOWN_PROPERTIES.has(k)) throw new CliError(`Unknown --property '${k}'.`, `Known properties: ${[...KNOWN_PROPERTIES].join(', ')}.`);
  }
  const sep = a.get('key-separator');
  const f: LineFormat = {
    parseKey: sep !== undefined || props.get('parse.key') === 'true',
    keySeparator: sep ?? props.get('key.separator') ?? '\t',
    parseHeaders: props.get('parse.headers') === 'true',
    headersDelimiter: props.get('headers.delimiter') ?? '\t',
    headersSeparator: props.get('headers.separator') ?? ',',
    headersKeySeparator: props.get('headers.key.separator') ?? ':',
    nullMarker: props.get('null.marker'),
    ignoreError: props.get('ignore.error') === 'true',
  };
  if (f.keySeparator === '') throw new CliError('The key separator must not be empty.');
  return f;
}

export interface ParsedLine {
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer>;
}

/** Splits one input line into key, value and headers, the way kafka-console-producer does. */
export function parseLine(line: string, f: LineFormat, staticHeaders: [string, string][], lineNo: number): ParsedLine | null {
  let rest = line;
  const headers = new Map<Buffer, Buffer>();
  for (const [k, v] of staticHeaders) headers.set(Buffer.from(k), Buffer.from(v));
  if (f.parseHeaders) {
    const at = rest.indexOf(f.headersDelimiter);
    if (at < 0) {
      if (f.ignoreError) return null;
      throw new CliError(`Line ${lineNo}: no headers delimiter ${JSON.stringify(f.headersDelimiter)} found.`, 'Each line must start with k:v[,k:v...] followed by headers.delimiter.');
    }
    const part = rest.slice(0, at);
    rest = rest.slice(at + f.headersDelimiter.length);
    if (part.length > 0) {
      for (const h of part.split(f.headersSeparator)) {
        const ks = h.indexOf(f.headersKeySeparator);
        const hk = ks < 0 ? h : h.slice(0, ks);
        const hv = ks < 0 ? '' : h.slice(ks + f.headersKeySeparator.length);
        headers.set(Buffer.from(hk), Buffer.from(hv));
      }
    }
  }
  let key: string | undefined;
  let value: string = rest;
  if (f.parseKey) {
    const at = rest.indexOf(f.keySeparator);
    if (at < 0) {
      if (f.ignoreError) return null;
      throw new CliError(`Line ${lineNo}: no key separator ${JSON.stringify(f.keySeparator)} found in '${truncate(rest)}'.`, 'Use KEY<separator>VALUE on every line, or drop --key-separator / parse.key.');
    }
    key = rest.slice(0, at);
    value = rest.slice(at + f.keySeparator.length);
  }
  const enc = (s: string | undefined): Buffer | undefined => (s === undefined || (f.nullMarker !== undefined && s === f.nullMarker) ? undefined : Buffer.from(s));
  return { key: enc(key), value: enc(value), headers };
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Java-compatible murmur2 placement for keyed records, round robin otherwise. */
export function cliPartitioner(): (key: Buffer | undefined) => number {
  let next = 0;
  return (key) => (key ? toPositive(murmur2(key)) : next++ & 0x7fffffff);
}

export async function runProduce(args: string[]): Promise<number> {
  return runCommand('samsa produce', args, options, usage, async (a, initial) => {
    let settings = initial;
    const topic = a.require('topic');
    const format = lineFormat(a);
    const staticHeaders = a.pairs('header');
    const partition = a.int('partition', 0, 1_000_000);
    const pp = new Map(a.pairs('producer-property'));
    for (const k of pp.keys()) {
      if (!['acks', 'compression.type', 'linger.ms', 'enable.idempotence', 'client.id'].includes(k)) process.stderr.write(`WARN: the producer property '${k}' is not used by samsa produce; ignoring it.\n`);
    }
    const acks = parseAcks(pp.get('acks') ?? a.get('acks'));
    const compression = parseCompression(pp.get('compression.type') ?? a.get('compression'));
    const batchSize = a.int('batch-size', 1, 1_000_000) ?? 1000;
    const lingerRaw = pp.get('linger.ms');
    if (lingerRaw !== undefined && !/^\d+$/.test(lingerRaw)) throw new CliError(`Invalid linger.ms '${lingerRaw}'.`);
    const lingerMs = lingerRaw !== undefined ? Number(lingerRaw) : (a.int('linger-ms', 0, 60_000) ?? 5);
    const idempotent = pp.get('enable.idempotence') === 'true';
    if (pp.has('client.id')) settings = { ...settings, clientId: pp.get('client.id') as string };

    const producer = await createProducer(settings, { acks, compression, idempotent });
    try {
      const summary = await produceLines(producer, { topic, format, staticHeaders, partition, acks, batchSize, lingerMs, bootstrap: settings.bootstrap.join(',') });
      if (a.has('json')) await writeOut(toJson(summary) + '\n');
    } finally {
      await closeQuietly(producer);
    }
    return 0;
  }, { unexpectedHint: 'Records are read from standard input; see --help.' });
}

interface ProduceSummary {
  topic: string;
  records: number;
  bytes: number;
  skipped: number;
  lastOffsets: { partition: number; offset: bigint }[];
}

async function produceLines(
  producer: Producer<Buffer, Buffer, Buffer, Buffer>,
  o: { topic: string; format: LineFormat; staticHeaders: [string, string][]; partition: number | undefined; acks: number; batchSize: number; lingerMs: number; bootstrap: string },
): Promise<ProduceSummary> {
  // Like Kafka's producers, ask for the topic with auto-creation allowed: the broker's
  // auto.create.topics.enable decides. Fail fast (with a clear message) when it still does not exist.
  let partitionCount: number;
  try {
    let md = await producer.metadata({ topics: [o.topic], autocreateTopics: true });
    for (let attempt = 0; attempt < 20 && !md.topics.get(o.topic); attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      md = await producer.metadata({ topics: [o.topic], autocreateTopics: true, forceUpdate: true });
    }
    const t = md.topics.get(o.topic);
    if (!t) throw new CliError(`Topic '${o.topic}' does not exist and the broker did not create it (auto.create.topics.enable=false).`, "Create it with 'samsa topics create'.", { exitCode: 1 });
    partitionCount = t.partitionsCount;
    if (o.partition !== undefined && o.partition >= partitionCount) {
      throw new CliError(`Partition ${o.partition} does not exist: topic '${o.topic}' has ${partitionCount} partitions.`);
    }
  } catch (e) {
    throw toCliError(e, { bootstrap: o.bootstrap, what: `Cannot produce to '${o.topic}'` });
  }
  const partitioner = cliPartitioner();
  const summary: ProduceSummary = { topic: o.topic, records: 0, bytes: 0, skipped: 0, lastOffsets: [] };
  const last = new Map<number, bigint>();
  let batch: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
  let inflight: Promise<void> = Promise.resolve();
  let failure: unknown;

  const flush = (): void => {
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    const prev = inflight;
    inflight = prev.then(async () => {
      if (failure !== undefined) return;
      try {
        const res = await producer.send({ messages });
        const counts = new Map<number, number>();
        for (const m of messages) counts.set(m.partition as number, (counts.get(m.partition as number) ?? 0) + 1);
        for (const off of res.offsets ?? []) last.set(off.partition, off.offset + BigInt((counts.get(off.partition) ?? 1) - 1));
      } catch (e) {
        failure = e;
      }
    });
  };

  let timer: NodeJS.Timeout | undefined;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (failure !== undefined) break;
    const rec = parseLine(line, o.format, o.staticHeaders, lineNo);
    if (rec === null) {
      summary.skipped++;
      continue;
    }
    const m: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = { topic: o.topic, headers: rec.headers };
    if (rec.key !== undefined) m.key = rec.key;
    if (rec.value !== undefined) m.value = rec.value;
    m.partition = o.partition ?? partitioner(rec.key) % partitionCount;
    summary.records++;
    summary.bytes += (rec.value?.length ?? 0) + (rec.key?.length ?? 0);
    batch.push(m);
    if (batch.length >= o.batchSize) {
      flush();
      // Keep memory bounded: wait for the previous request before reading far ahead.
      await inflight;
    } else if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        flush();
      }, o.lingerMs);
    }
  }
  if (timer !== undefined) clearTimeout(timer);
  flush();
  await inflight;
  if (failure !== undefined) throw toCliError(failure, { bootstrap: o.bootstrap, what: `Producing to '${o.topic}' failed` });
  summary.lastOffsets = [...last.entries()].sort((x, y) => x[0] - y[0]).map(([partition, offset]) => ({ partition, offset }));
  return summary;
}

export { usage as produceUsage };
