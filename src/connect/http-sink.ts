/**
 * An HTTP sink connector with the configuration of Confluent's HTTP Sink (io.confluent.connect.
 * http.HttpSinkConnector, aliases HttpSink / HttpSinkConnector): `http.api.url` (`${topic}` is
 * replaced by the record's topic), `request.method` (POST, PUT, PATCH, DELETE; default POST),
 * `headers` ("Name:value" pairs separated by `header.separator`, default "|"), `batch.max.size`
 * (records per request, default 1), `batch.prefix` / `batch.suffix` / `batch.separator` (default
 * "", "", ","), `request.body.format` (string or json), `max.retries` (10), `retry.backoff.ms`
 * (3000, doubling per attempt), `retry.on.status.codes` (default "400-": every error status;
 * ranges like "500-599,429"), `http.request.timeout.ms` (30000), `auth.type` (NONE, BASIC) with
 * `connection.user` / `connection.password`, `behavior.on.null.values` (ignore, fail).
 *
 * Confluent's rules kept: records are sent in put() in batches of at most batch.max.size per
 * topic, in order; a network failure, a timeout or a status listed in retry.on.status.codes is
 * retried up to max.retries times with exponential backoff; a batch that still fails is reported
 * record by record to the runtime (KIP-610), so with errors.tolerance=all it goes to the dead
 * letter queue with the error context headers and the task goes on, and with none the task fails.
 * A body in string format is the values (a struct or map as JSON) joined between prefix and
 * suffix; in json format the body is a JSON array of the values (a string holding JSON is
 * embedded as that JSON). Samsa's deviations: no OAuth2, no ${key} in the URL, no regex
 * replacements, no response logging to a topic.
 */
import { ConfigError, type ConnectRecord, type ConnectorPlugin, type SinkTask, type SinkTaskContext, type TaskConfig } from './api.js';

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

class HttpError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'ConnectException';
  }
}

/** "400-,500,502-504" → a predicate on a status code. */
export function statusMatcher(spec: string): (status: number) => boolean {
  const ranges = spec.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const m = /^(\d{3})?(-)?(\d{3})?$/.exec(s);
    if (m === null || (m[1] === undefined && m[3] === undefined)) throw new ConfigError(`Invalid value ${spec} for configuration retry.on.status.codes: expected codes or ranges like 400-, 500-599, 429`);
    const lo = m[1] !== undefined ? Number(m[1]) : 0;
    const hi = m[2] === undefined ? lo : m[3] !== undefined ? Number(m[3]) : 999;
    return [lo, hi] as const;
  });
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

interface Settings {
  url: string;
  method: (typeof METHODS)[number];
  headers: Record<string, string>;
  batchMaxSize: number;
  prefix: string;
  suffix: string;
  separator: string;
  json: boolean;
  maxRetries: number;
  backoffMs: number;
  retryOn: (status: number) => boolean;
  timeoutMs: number;
  nullValues: 'ignore' | 'fail';
}

function settings(c: Readonly<Record<string, string>>): Settings {
  const url = c['http.api.url'];
  if (!url) throw new ConfigError('Missing required configuration "http.api.url" which has no default value.');
  if (!/^https?:\/\//.test(url)) throw new ConfigError(`Invalid value ${url} for configuration http.api.url: must be an http:// or https:// URL`);
  const method = (c['request.method'] ?? 'POST').toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) throw new ConfigError(`Invalid value ${method} for configuration request.method: String must be one of: ${METHODS.join(', ')}`);
  const int = (k: string, d: number, min: number): number => {
    const v = c[k] ?? String(d);
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new ConfigError(`Invalid value ${v} for configuration ${k}: Value must be at least ${min}`);
    return n;
  };
  const headers: Record<string, string> = {};
  const sep = c['header.separator'] ?? '|';
  for (const h of (c['headers'] ?? '').split(sep).map((x) => x.trim()).filter((x) => x !== '')) {
    const i = h.indexOf(':');
    if (i <= 0) throw new ConfigError(`Invalid value ${c['headers'] ?? ''} for configuration headers: expected Name:value pairs separated by ${sep}`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const auth = (c['auth.type'] ?? 'NONE').toUpperCase();
  if (auth === 'BASIC') headers['Authorization'] = `Basic ${Buffer.from(`${c['connection.user'] ?? ''}:${c['connection.password'] ?? ''}`).toString('base64')}`;
  else if (auth !== 'NONE') throw new ConfigError(`Invalid value ${auth} for configuration auth.type: String must be one of: NONE, BASIC`);
  const format = (c['request.body.format'] ?? 'string').toLowerCase();
  if (format !== 'string' && format !== 'json') throw new ConfigError(`Invalid value ${format} for configuration request.body.format: String must be one of: string, json`);
  const nullValues = (c['behavior.on.null.values'] ?? 'ignore').toLowerCase();
  if (nullValues !== 'ignore' && nullValues !== 'fail') throw new ConfigError(`Invalid value ${nullValues} for configuration behavior.on.null.values: String must be one of: ignore, fail`);
  return {
    url,
    method: method as Settings['method'],
    headers,
    batchMaxSize: int('batch.max.size', 1, 1),
    prefix: c['batch.prefix'] ?? '',
    suffix: c['batch.suffix'] ?? '',
    separator: c['batch.separator'] ?? ',',
    json: format === 'json',
    maxRetries: int('max.retries', 10, 0),
    backoffMs: int('retry.backoff.ms', 3000, 0),
    retryOn: statusMatcher(c['retry.on.status.codes'] ?? '400-'),
    timeoutMs: int('http.request.timeout.ms', 30_000, 1),
    nullValues,
  };
}

const text = (v: unknown): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'object' ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : Buffer.isBuffer(x) ? x.toString('base64') : x)) : String(v));

function jsonOf(v: unknown): unknown {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }
  return JSON.parse(text(v)) as unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class HttpSinkTask implements SinkTask {
  private s: Settings | null = null;
  private context: SinkTaskContext | null = null;
  private stopped = false;

  async start(config: TaskConfig, context?: SinkTaskContext): Promise<void> {
    this.s = settings(config);
    this.context = context ?? null;
    this.stopped = false;
  }

  private body(records: readonly ConnectRecord[]): string {
    const s = this.s as Settings;
    if (s.json) return JSON.stringify(records.map((r) => jsonOf(r.value)));
    return `${s.prefix}${records.map((r) => text(r.value)).join(s.separator)}${s.suffix}`;
  }

  /** One request with retries; throws HttpError when it still fails. */
  private async send(url: string, body: string): Promise<void> {
    const s = this.s as Settings;
    let delay = s.backoffMs;
    for (let attempt = 0; ; attempt++) {
      let failure: HttpError;
      try {
        const res = await fetch(url, { method: s.method, headers: { 'content-type': s.json ? 'application/json' : 'text/plain; charset=utf-8', ...s.headers }, body, signal: AbortSignal.timeout(s.timeoutMs) });
        const answer = await res.text();
        if (res.status < 400) return;
        failure = new HttpError(`HTTP ${res.status} from ${s.method} ${url}: ${answer.slice(0, 500)}`, s.retryOn(res.status));
      } catch (e) {
        failure = new HttpError(`${s.method} ${url} failed: ${e instanceof Error ? e.message : String(e)}`, true);
      }
      if (!failure.retriable || attempt >= s.maxRetries || this.stopped) throw failure;
      await sleep(delay);
      delay = Math.min(delay * 2, 300_000);
    }
  }

  async put(records: ConnectRecord[]): Promise<void> {
    const s = this.s;
    if (s === null) return;
    const byTopic = new Map<string, ConnectRecord[]>();
    for (const r of records) {
      if (r.value === null || r.value === undefined) {
        if (s.nullValues === 'fail') await this.fail([r], new Error(`Null valued record from topic ${r.topic}, partition ${r.kafkaPartition}, offset ${r.kafkaOffset} (behavior.on.null.values=fail)`));
        continue;
      }
      byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    }
    for (const [topic, list] of byTopic) {
      const url = s.url.replace(/\$\{topic\}/g, encodeURIComponent(topic));
      for (let i = 0; i < list.length; i += s.batchMaxSize) {
        const batch = list.slice(i, i + s.batchMaxSize);
        try {
          await this.send(url, this.body(batch));
        } catch (e) {
          await this.fail(batch, e);
        }
      }
    }
  }

  /** A batch that could not be sent: each record to the runtime's error handling, or the task fails. */
  private async fail(batch: readonly ConnectRecord[], e: unknown): Promise<void> {
    if (this.context === null) throw e;
    for (const r of batch) await this.context.reportErrant(r, e);
  }

  async flush(): Promise<void> {
    // put() sends synchronously: nothing is buffered.
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

export const httpSink: ConnectorPlugin = {
  className: 'io.confluent.connect.http.HttpSinkConnector',
  aliases: ['HttpSink', 'HttpSinkConnector'],
  type: 'sink',
  version: '1.0.0',
  config: [
    { name: 'http.api.url', type: 'STRING', required: true, documentation: 'The URL records are sent to (${topic} is replaced by the topic).' },
    { name: 'request.method', type: 'STRING', required: false, defaultValue: 'POST', documentation: 'POST, PUT, PATCH or DELETE.' },
    { name: 'headers', type: 'STRING', required: false, defaultValue: '', documentation: 'Name:value pairs separated by header.separator.' },
    { name: 'header.separator', type: 'STRING', required: false, defaultValue: '|', documentation: 'Separator of the headers setting.' },
    { name: 'batch.max.size', type: 'INT', required: false, defaultValue: '1', documentation: 'Records per request.' },
    { name: 'batch.prefix', type: 'STRING', required: false, defaultValue: '', documentation: 'Text before the records of a request (string format).' },
    { name: 'batch.suffix', type: 'STRING', required: false, defaultValue: '', documentation: 'Text after the records of a request (string format).' },
    { name: 'batch.separator', type: 'STRING', required: false, defaultValue: ',', documentation: 'Text between the records of a request (string format).' },
    { name: 'request.body.format', type: 'STRING', required: false, defaultValue: 'string', documentation: 'string or json (a JSON array of the values).' },
    { name: 'max.retries', type: 'INT', required: false, defaultValue: '10', documentation: 'Retries of a failed request.' },
    { name: 'retry.backoff.ms', type: 'INT', required: false, defaultValue: '3000', documentation: 'Wait before the first retry (doubling after each).' },
    { name: 'retry.on.status.codes', type: 'STRING', required: false, defaultValue: '400-', documentation: 'Status codes and ranges that are retried.' },
    { name: 'http.request.timeout.ms', type: 'INT', required: false, defaultValue: '30000', documentation: 'Timeout of a request.' },
    { name: 'auth.type', type: 'STRING', required: false, defaultValue: 'NONE', documentation: 'NONE or BASIC.' },
    { name: 'connection.user', type: 'STRING', required: false, documentation: 'Basic authentication user.' },
    { name: 'connection.password', type: 'PASSWORD', required: false, documentation: 'Basic authentication password.' },
    { name: 'behavior.on.null.values', type: 'STRING', required: false, defaultValue: 'ignore', documentation: 'ignore or fail.' },
  ],
  taskConfigs(config, maxTasks) {
    settings(config);
    return Array.from({ length: Math.max(1, maxTasks) }, () => ({ ...config }));
  },
  createSinkTask: () => new HttpSinkTask(),
};
