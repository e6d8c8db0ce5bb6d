/**
 * `samsa delete-records --offset-json-file FILE` — kafka-delete-records.sh: moves each listed
 * partition's log start offset up to the given offset (records below it are deleted).
 *
 * The file is Kafka's: {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1};
 * offset -1 means the high watermark. DeleteRecords v2 is sent to the bootstrap broker (Kafka
 * sends it to each partition's leader; Samsa is a single broker today). Per-partition errors
 * (OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION, ...) are printed and make the exit code 1.
 */
import { readFileSync } from 'node:fs';
import { ApiKey } from '../client/admin.js';
import { errorName } from '../common/error-codes.js';
import type { DeleteRecordsResponse } from '../protocol/generated/messages/delete-records.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions } from './client.js';
import { runConnected } from './command.js';
import { CliError, ExitCode, toJson, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'offset-json-file', arg: 'FILE', help: "Kafka's JSON: {\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":3}],\"version\":1} ('-' reads stdin)" },
  { name: 'json', value: false, help: 'Print JSON instead of text' },
  ...connectionOptions,
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa delete-records --offset-json-file FILE [options]

Deletes the records below the given offset of each listed partition (like kafka-delete-records.sh).
An offset of -1 deletes up to the high watermark.

Options:
${formatOptions(options)}

Example file:
  {"partitions": [{"topic": "orders", "partition": 0, "offset": 3}], "version": 1}
`;

interface Wanted {
  topic: string;
  partition: number;
  offset: bigint;
}

export function parseOffsetJson(text: string): Wanted[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CliError(`The offset JSON file is not valid JSON: ${(e as Error).message}.`, undefined, { exitCode: ExitCode.USAGE });
  }
  const parts = (doc as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(parts) || parts.length === 0) throw new CliError('The offset JSON file has no "partitions" list.', 'Example: {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}');
  const seen = new Set<string>();
  return parts.map((p: unknown, i) => {
    const o = p as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof o.topic !== 'string' || !Number.isInteger(o.partition) || (typeof o.offset !== 'number' && typeof o.offset !== 'string') || !/^-?\d+$/.test(String(o.offset))) {
      throw new CliError(`Entry ${i} of "partitions" needs a string "topic", an integer "partition" and an integer "offset".`);
    }
    const key = `${o.topic}-${String(o.partition)}`;
    if (seen.has(key)) throw new CliError(`Offset JSON file contains duplicate topic partitions: ${key}.`);
    seen.add(key);
    return { topic: o.topic, partition: o.partition as number, offset: BigInt(String(o.offset)) };
  });
}

export function runDeleteRecords(args: string[]): Promise<number> {
  return runConnected('samsa delete-records', args, options, usage, async (a, conn, s) => {
    const file = a.require('offset-json-file');
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read ${file}: ${(e as Error).message}.`, undefined, { exitCode: ExitCode.USAGE });
    }
    const wanted = parseOffsetJson(text);
    const byTopic = new Map<string, { partitionIndex: number; offset: bigint }[]>();
    for (const w of wanted) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), { partitionIndex: w.partition, offset: w.offset }]);
    const res = await conn.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), timeoutMs: s.timeout });
    const results = res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, lowWatermark: p.lowWatermark, error: p.errorCode === 0 ? null : errorName(p.errorCode) })));
    if (a.has('json')) await writeOut(toJson(results) + '\n');
    else {
      let text2 = 'Executing records delete operation\nRecords delete operation completed:\n';
      for (const r of results) text2 += r.error === null ? `partition: ${r.topic}-${r.partition}\tlow_watermark: ${r.lowWatermark}\n` : `partition: ${r.topic}-${r.partition}\terror: ${r.error}\n`;
      await writeOut(text2);
    }
    return results.some((r) => r.error !== null) ? ExitCode.FAILED : 0;
  });
}
