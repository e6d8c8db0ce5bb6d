/**
 * Error handling of a task's record pipeline (Kafka's RetryWithToleranceOperator and
 * DeadLetterQueueReporter): every stage runs through `execute`, which retries a RetriableError
 * with exponential backoff (300 ms doubling, capped by `errors.retry.delay.max.ms`) until
 * `errors.retry.timeout` ms have passed (0: no retry, -1: forever), and then either fails the task
 * (`errors.tolerance=none`, the default) or skips the record (`all`). A skipped sink record is
 * written, as consumed (original key, value and headers), to `errors.deadletterqueue.topic.name`
 * when set, with Kafka's `__connect.errors.*` context headers when
 * `errors.deadletterqueue.context.headers.enable=true`.
 *
 * Samsa's deviations: the stack trace header holds the JS stack; the class name header holds
 * the stage's converter/transform class when known, else the task's.
 */
import type { ConnectHeader } from './api.js';
import { ConfigError, RetriableError } from './api.js';

export const Stage = {
  KEY_CONVERTER: 'KEY_CONVERTER',
  VALUE_CONVERTER: 'VALUE_CONVERTER',
  HEADER_CONVERTER: 'HEADER_CONVERTER',
  TRANSFORMATION: 'TRANSFORMATION',
  TASK_PUT: 'TASK_PUT',
  TASK_POLL: 'TASK_POLL',
  KAFKA_PRODUCE: 'KAFKA_PRODUCE',
  KAFKA_CONSUME: 'KAFKA_CONSUME',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

export const DLQ_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  connector: '__connect.errors.connector.name',
  task: '__connect.errors.task.id',
  stage: '__connect.errors.stage',
  className: '__connect.errors.class.name',
  exceptionClass: '__connect.errors.exception.class.name',
  exceptionMessage: '__connect.errors.exception.message',
  exceptionStacktrace: '__connect.errors.exception.stacktrace',
} as const;

export interface ErrorSettings {
  tolerateAll: boolean;
  retryTimeoutMs: number;
  retryDelayMaxMs: number;
  logEnable: boolean;
  dlqTopic: string | null;
  dlqReplicationFactor: number;
  dlqContextHeaders: boolean;
}

export function errorSettings(config: Readonly<Record<string, string>>): ErrorSettings {
  const tol = (config['errors.tolerance'] ?? 'none').toLowerCase();
  if (tol !== 'none' && tol !== 'all') throw new ConfigError(`Invalid value ${tol} for configuration errors.tolerance: String must be one of: none, all`);
  const num = (k: string, d: number): number => {
    const v = config[k];
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new ConfigError(`Invalid value ${v} for configuration ${k}: Not a number of type LONG`);
    return n;
  };
  const dlq = config['errors.deadletterqueue.topic.name'];
  return {
    tolerateAll: tol === 'all',
    retryTimeoutMs: num('errors.retry.timeout', 0),
    retryDelayMaxMs: num('errors.retry.delay.max.ms', 60_000),
    logEnable: (config['errors.log.enable'] ?? 'false') === 'true',
    dlqTopic: dlq === undefined || dlq.trim() === '' ? null : dlq.trim(),
    dlqReplicationFactor: num('errors.deadletterqueue.topic.replication.factor', 3),
    dlqContextHeaders: (config['errors.deadletterqueue.context.headers.enable'] ?? 'false') === 'true',
  };
}

/** A failure the tolerance settings did not allow: the task fails with it. */
export class ToleranceExceededError extends Error {
  constructor(
    readonly stage: Stage,
    override readonly cause: unknown,
  ) {
    super(`Tolerance exceeded in error handler (stage ${stage}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ConnectException';
  }
}

export interface FailureContext {
  stage: Stage;
  className: string;
  error: unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `op` with retries; answers its result, or `skip` when the failure is tolerated (the
 * caller then reports the record). Throws ToleranceExceededError otherwise.
 */
export async function execute<T>(s: ErrorSettings, stage: Stage, className: string, op: () => T | Promise<T>, onTolerated: (f: FailureContext) => Promise<void>, isStopping: () => boolean = () => false): Promise<{ ok: true; value: T } | { ok: false }> {
  const start = performance.now();
  let delay = 300;
  for (;;) {
    try {
      return { ok: true, value: await op() };
    } catch (e) {
      const retriable = e instanceof RetriableError;
      const elapsed = performance.now() - start;
      if (retriable && !isStopping() && (s.retryTimeoutMs < 0 || elapsed + delay <= s.retryTimeoutMs)) {
        await sleep(Math.min(delay, s.retryDelayMaxMs));
        delay = Math.min(delay * 2, Math.max(1, s.retryDelayMaxMs));
        continue;
      }
      if (!s.tolerateAll) throw new ToleranceExceededError(stage, e);
      await onTolerated({ stage, className, error: e });
      return { ok: false };
    }
  }
}

/** The DLQ record's headers: the consumed record's own, then the context headers when enabled. */
export function dlqHeaders(s: ErrorSettings, original: { topic: string; partition: number; offset: bigint; headers: ConnectHeader[] }, connector: string, task: number, f: FailureContext): ConnectHeader[] {
  const out = [...original.headers];
  if (!s.dlqContextHeaders) return out;
  const h = (key: string, value: string): void => {
    out.push({ key, value: Buffer.from(value, 'utf8') });
  };
  const err = f.error instanceof Error ? f.error : new Error(String(f.error));
  h(DLQ_HEADERS.topic, original.topic);
  h(DLQ_HEADERS.partition, String(original.partition));
  h(DLQ_HEADERS.offset, String(original.offset));
  h(DLQ_HEADERS.connector, connector);
  h(DLQ_HEADERS.task, String(task));
  h(DLQ_HEADERS.stage, f.stage);
  h(DLQ_HEADERS.className, f.className);
  h(DLQ_HEADERS.exceptionClass, err.name);
  h(DLQ_HEADERS.exceptionMessage, err.message);
  h(DLQ_HEADERS.exceptionStacktrace, err.stack ?? `${err.name}: ${err.message}`);
  return out;
}
