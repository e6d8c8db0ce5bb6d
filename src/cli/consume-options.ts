/**
 * Options of `samsa consume` shared with kafka-console-consumer.sh: --isolation-level and the
 * Kafka consumer properties the command uses (others are ignored with a warning, as Kafka warns
 * about unused configs), --include REGEX (Kafka matches the whole topic name; internal topics are
 * left out), and how a lost connection is told apart from a Kafka error answer.
 */
import { fetchMetadata } from '../client/admin.js';
import type { ParsedArgs } from './args.js';
import { openConnection, type ConnectionSettings } from './client.js';
import { CliError } from './output.js';

/** Fetch isolation: 0 read_uncommitted (kafka-console-consumer's default), 1 read_committed. */
export type IsolationLevel = 0 | 1;

/** A dropped or refused connection (broker restarting), as opposed to a Kafka error answer. */
export function isConnectionLoss(e: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    const o = x as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
    if (o.code === 'PLT_KFK_NETWORK' || o.code === 'ECONNREFUSED' || o.code === 'ECONNRESET' || o.code === 'EPIPE') return true;
    if (typeof o.message === 'string' && /ECONNREFUSED|ECONNRESET|socket|connection|closed/i.test(o.message)) return true;
    return (Array.isArray(o.errors) && o.errors.some(walk)) || walk(o.cause);
  };
  return walk(e);
}

export interface ConsumerProps {
  isolationLevel: IsolationLevel;
  group: string | undefined;
  clientId: string | undefined;
  maxWait: number | undefined;
  fromBeginning: boolean;
}

/** --isolation-level and the Kafka consumer properties the command uses; others are ignored with a warning. */
export function consumerProperties(a: ParsedArgs): ConsumerProps {
  const props = new Map(a.pairs('consumer-property'));
  const level = props.get('isolation.level') ?? a.get('isolation-level') ?? 'read_uncommitted';
  if (level !== 'read_uncommitted' && level !== 'read_committed') throw new CliError(`Invalid isolation level '${level}'.`, 'Use read_uncommitted or read_committed.');
  const reset = props.get('auto.offset.reset');
  if (reset !== undefined && reset !== 'earliest' && reset !== 'latest') throw new CliError(`Invalid auto.offset.reset '${reset}'.`, 'Use earliest or latest.');
  const wait = props.get('fetch.max.wait.ms');
  if (wait !== undefined && !/^\d+$/.test(wait)) throw new CliError(`Invalid fetch.max.wait.ms '${wait}'.`);
  for (const k of props.keys()) {
    if (!['isolation.level', 'group.id', 'client.id', 'auto.offset.reset', 'fetch.max.wait.ms'].includes(k)) process.stderr.write(`WARN: the consumer property '${k}' is not used by samsa consume; ignoring it.\n`);
  }
  return { isolationLevel: level === 'read_committed' ? 1 : 0, group: props.get('group.id'), clientId: props.get('client.id'), maxWait: wait === undefined ? undefined : Number(wait), fromBeginning: reset === 'earliest' };
}

/** --topic NAME, or every non-internal topic whose whole name matches --include REGEX. */
export async function topicsToConsume(s: ConnectionSettings, a: ParsedArgs): Promise<string[]> {
  const include = a.get('include');
  const topic = a.get('topic');
  if ((include === undefined) === (topic === undefined)) throw new CliError('Give exactly one of --topic and --include.', "Example: --topic orders, or --include 'orders|payments'.");
  if (topic !== undefined) return [topic];
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${include as string})$`);
  } catch (e) {
    throw new CliError(`Invalid --include regular expression: ${(e as Error).message}.`);
  }
  const conn = await openConnection(s);
  let matched: string[];
  try {
    const md = await fetchMetadata(conn, null);
    matched = [...md.topics.values()].filter((t) => !t.internal && re.test(t.name)).map((t) => t.name).sort();
  } finally {
    conn.close();
  }
  if (matched.length === 0) throw new CliError(`No topic matches --include '${include as string}'.`, "Check the names with 'samsa topics list'.", { exitCode: 1 });
  return matched;
}
