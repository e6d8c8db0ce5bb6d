/**
 * Output helpers for the `samsa` client commands: aligned tables for people, JSON for scripts,
 * and errors that say what went wrong and how to fix it.
 */
import { AdminError } from '../client/admin.js';

/** Exit codes: 1 = the operation failed, 2 = the command line was wrong. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** A failure to report to the user: a one-line message, an optional hint, an exit code. */
export class CliError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, hint?: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.hint = hint;
    this.exitCode = options.exitCode ?? ExitCode.USAGE;
  }
}

/** Hints for Kafka error names (as reported by the client library's `apiId`). */
const KAFKA_HINTS: Record<string, string> = {
  TOPIC_ALREADY_EXISTS: "Pick another name, or use 'samsa topics describe' to inspect the existing topic.",
  UNKNOWN_TOPIC_OR_PARTITION: "Check the name with 'samsa topics list', or create it with 'samsa topics create'.",
  UNKNOWN_TOPIC_ID: "Check the name with 'samsa topics list'.",
  INVALID_PARTITIONS: 'Use a positive partition count (for alter-partitions, larger than the current one).',
  INVALID_REPLICATION_FACTOR: 'Use a replication factor no larger than the number of brokers (1 for a single broker).',
  INVALID_CONFIG: "Check the --config key=value pairs against Kafka's topic configuration names.",
  INVALID_TOPIC_EXCEPTION: 'Topic names use only letters, digits, ".", "_" and "-", at most 249 characters.',
  INVALID_REQUEST: 'The broker rejected the request as malformed.',
  MESSAGE_TOO_LARGE: 'Raise max.message.bytes on the topic or send smaller records.',
  RECORD_LIST_TOO_LARGE: 'Send smaller batches or raise max.message.bytes.',
  NOT_ENOUGH_REPLICAS: 'Lower --acks or min.insync.replicas, or bring more replicas online.',
  OFFSET_OUT_OF_RANGE: 'Use --from-beginning or an --offset within the partition range.',
  TOPIC_AUTHORIZATION_FAILED: 'The client is not allowed to access this topic.',
  GROUP_AUTHORIZATION_FAILED: 'The client is not allowed to use this group.',
  COORDINATOR_NOT_AVAILABLE: 'The broker has no group coordinator available; retry, or consume without --group.',
  UNSUPPORTED_VERSION: 'The broker does not support this request version.',
};

interface KafkaLikeError {
  message?: string;
  code?: string;
  apiId?: string;
  serverErrorMessage?: string | null;
  errors?: unknown[];
  cause?: unknown;
}

function leafErrors(e: unknown, out: KafkaLikeError[] = [], depth = 0): KafkaLikeError[] {
  if (depth > 5 || e === null || typeof e !== 'object') return out;
  const k = e as KafkaLikeError;
  if (Array.isArray(k.errors) && k.errors.length > 0) {
    for (const c of k.errors) leafErrors(c, out, depth + 1);
  } else out.push(k);
  return out;
}

/** Turns any thrown value (client library errors included) into a CliError. */
export function toCliError(e: unknown, context: { bootstrap?: string; what?: string } = {}): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof AdminError) return new CliError(`${context.what ? `${context.what}: ` : ''}${e.message}`, KAFKA_HINTS[e.errorName], { exitCode: ExitCode.FAILED, cause: e });
  const leaves = leafErrors(e);
  const first = leaves[0] ?? (e as KafkaLikeError);
  const prefix = context.what ? `${context.what}: ` : '';
  if (first.apiId !== undefined) {
    const detail = first.serverErrorMessage ?? first.message ?? '';
    return new CliError(`${prefix}${first.apiId}${detail ? ` (${detail})` : ''}`, KAFKA_HINTS[first.apiId], { exitCode: ExitCode.FAILED, cause: e });
  }
  const msg = first.message ?? String(e);
  const code = first.code ?? (e as KafkaLikeError).code;
  if (code === 'PLT_KFK_NETWORK' || /connect to any broker|ECONNREFUSED/i.test(`${msg} ${(e as KafkaLikeError).message ?? ''}`)) {
    return new CliError(
      `${prefix}Cannot connect to the cluster at ${context.bootstrap ?? 'the bootstrap servers'}.`,
      'Check that a broker is running there, or pass --bootstrap-server host:port.',
      { exitCode: ExitCode.FAILED, cause: e },
    );
  }
  if (/unknown topic/i.test(msg)) {
    return new CliError(`${prefix}${msg.replace(/\.$/, '')}.`, KAFKA_HINTS['UNKNOWN_TOPIC_OR_PARTITION'], { exitCode: ExitCode.FAILED, cause: e });
  }
  if (code === 'PLT_KFK_TIMEOUT') {
    return new CliError(`${prefix}Timed out talking to ${context.bootstrap ?? 'the cluster'}.`, 'Check that the broker is healthy; raise --timeout for slow clusters.', { exitCode: ExitCode.FAILED, cause: e });
  }
  return new CliError(`${prefix}${msg}`, undefined, { exitCode: ExitCode.FAILED, cause: e });
}

/** Prints an error for a person on stderr and returns its exit code. */
export function reportError(command: string, e: unknown, context: { bootstrap?: string } = {}): number {
  const err = toCliError(e, context);
  let text = `${command}: error: ${err.message}\n`;
  if (err.hint) text += `  hint: ${err.hint}\n`;
  if (process.env['SAMSA_DEBUG'] && err.cause !== undefined) text += `${String((err.cause as Error).stack ?? err.cause)}\n`;
  process.stderr.write(text);
  return err.exitCode;
}

export type Cell = string | number | bigint | boolean | null | undefined;

/** Renders rows as a table with a header line; numbers are right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => headers.map((_, i) => cellText(r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] as string).length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || typeof r[i] === 'bigint' || r[i] === null || r[i] === undefined));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '-';
  return String(c);
}

/** JSON with bigints as numbers when safe, otherwise as strings. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
      if (v instanceof Map) return Object.fromEntries(v);
      return v;
    },
    indent,
  );
}

/** Writes to stdout and waits for the data to be flushed (for large outputs piped elsewhere). */
export function writeOut(text: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
