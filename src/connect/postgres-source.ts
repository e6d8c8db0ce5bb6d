/**
 * A PostgreSQL source connector with the JDBC source's configuration (io.confluent.connect.jdbc.
 * JdbcSourceConnector, aliases JdbcSource / PostgresSource): `connection.url`, `connection.user`,
 * `connection.password`, `mode` (bulk, incrementing, timestamp, timestamp+incrementing),
 * `incrementing.column.name`, `timestamp.column.name` (several: their COALESCE),
 * `table.whitelist` (or `table.include.list`) or `query`, `topic.prefix`, `poll.interval.ms`
 * (5000), `batch.max.rows` (100), `timestamp.delay.interval.ms` (0), `timestamp.initial`.
 *
 * Confluent's rules kept: a table's rows go to `<topic.prefix><table>`, a query's to
 * `topic.prefix`; the value is a struct of the row's columns (schema named after the table), no
 * key; rows are read in the order of the mode's columns and only past the stored offset: the
 * source partition is {"table": <name>} (or {"query": <query>}) and the offset {"incrementing": id},
 * {"timestamp": ms, "timestamp_nanos": ns} or both, so a restarted task resumes where the committed
 * offsets say; timestamp modes read only rows older than the database's now minus
 * `timestamp.delay.interval.ms`, so a row committed late with an earlier timestamp is not skipped
 * past; the incrementing start is -1 and the timestamp start the epoch (timestamp.initial=-1: now);
 * tables are spread over at most tasks.max tasks; a query gets one task. Column types: int2/int4/int8
 * → int16/int32/int64, float4/float8 → float32/float64, bool, text types and uuid → string, bytea →
 * bytes, timestamp(tz) → Timestamp (ms), date → Date (days). Samsa's deviations: the tables must be
 * listed (no discovery of every table, no table.blacklist); numeric and json(b) columns are strings;
 * the session time zone is UTC (timestamp without time zone columns are read as UTC); every field
 * is optional in the schema.
 */
import pg from 'pg';
import { ConfigError, DataError, RetriableError, type ConnectRecord, type ConnectSchema, type ConnectorPlugin, type JsonObject, type SourceTask, type TaskConfig, type TaskContext } from './api.js';
import { CONNECTION_CONFIG, pgClientSettings, pgConnectionString, requireConnectionUrl } from './postgres-connection.js';

const MODES = ['bulk', 'incrementing', 'timestamp', 'timestamp+incrementing'] as const;
type Mode = (typeof MODES)[number];

/** The column TS holding the row's timestamp in microseconds since the epoch (added to the select list, not to the record). */
const TS_US = '__samsa_ts_us';

const ident = (s: string): string => s.split('.').map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');

const OID = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, float4: 700, float8: 701, date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

function schemaOf(oid: number): ConnectSchema {
  switch (oid) {
    case OID.bool:
      return { type: 'boolean', optional: true };
    case OID.bytea:
      return { type: 'bytes', optional: true };
    case OID.int2:
      return { type: 'int16', optional: true };
    case OID.int4:
      return { type: 'int32', optional: true };
    case OID.int8:
      return { type: 'int64', optional: true };
    case OID.float4:
      return { type: 'float32', optional: true };
    case OID.float8:
      return { type: 'float64', optional: true };
    case OID.date:
      return { type: 'int32', optional: true, name: 'org.apache.kafka.connect.data.Date' };
    case OID.timestamp:
    case OID.timestamptz:
      return { type: 'int64', optional: true, name: 'org.apache.kafka.connect.data.Timestamp' };
    default:
      return { type: 'string', optional: true };
  }
}

/** Text from the server → Connect value, by column type. */
function parse(oid: number, text: string): unknown {
  switch (oid) {
    case OID.bool:
      return text === 't';
    case OID.int2:
    case OID.int4:
      return Number(text);
    case OID.int8: {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : BigInt(text);
    }
    case OID.float4:
    case OID.float8:
      return Number(text);
    case OID.bytea:
      return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : Buffer.from(text, 'binary');
    case OID.date: {
      const ms = Date.parse(`${text}T00:00:00Z`);
      return Number.isNaN(ms) ? null : Math.floor(ms / 86_400_000);
    }
    case OID.timestamp:
    case OID.timestamptz: {
      // 'YYYY-MM-DD HH:MM:SS[.ffffff][+zz]' in the session time zone (UTC).
      const iso = text.replace(' ', 'T').replace(/\+00(:00)?$/, '');
      const ms = Date.parse(`${iso}Z`);
      return Number.isNaN(ms) ? null : ms;
    }
    default:
      return text;
  }
}

/** Microseconds since the epoch → a timestamptz literal that keeps every digit. */
function usToTimestamp(us: bigint): string {
  const ms = us / 1000n;
  const micros = us % 1000n;
  const base = new Date(Number(ms)).toISOString(); // ...SS.mmmZ
  return `${base.slice(0, -1)}${String(micros < 0n ? -micros : micros).padStart(3, '0')}Z`;
}

interface Offset {
  incrementing: bigint | null;
  /** Microseconds since the epoch. */
  tsUs: bigint | null;
}

function readOffset(o: JsonObject | null): Offset {
  const inc = o?.['incrementing'];
  const ms = o?.['timestamp'];
  const nanos = o?.['timestamp_nanos'];
  let tsUs: bigint | null = null;
  if (typeof ms === 'number' && Number.isFinite(ms)) {
    const seconds = BigInt(Math.floor(ms / 1000));
    tsUs = typeof nanos === 'number' && Number.isFinite(nanos) ? seconds * 1_000_000n + BigInt(Math.floor(nanos / 1000)) : BigInt(Math.floor(ms)) * 1000n;
  }
  return { incrementing: typeof inc === 'number' || typeof inc === 'string' ? BigInt(inc) : null, tsUs };
}

function writeOffset(mode: Mode, o: Offset): JsonObject {
  const out: JsonObject = {};
  if ((mode === 'incrementing' || mode === 'timestamp+incrementing') && o.incrementing !== null) out['incrementing'] = Number(o.incrementing);
  if ((mode === 'timestamp' || mode === 'timestamp+incrementing') && o.tsUs !== null) {
    const seconds = o.tsUs >= 0n ? o.tsUs / 1_000_000n : (o.tsUs - 999_999n) / 1_000_000n;
    out['timestamp'] = Number(o.tsUs / 1000n);
    out['timestamp_nanos'] = Number((o.tsUs - seconds * 1_000_000n) * 1000n);
  }
  return out;
}

interface Source {
  /** The table name or null for a query. */
  table: string | null;
  topic: string;
  partition: JsonObject;
  offset: Offset;
  nextPollAt: number;
}

interface Settings {
  mode: Mode;
  incColumn: string;
  tsColumns: string[];
  query: string | null;
  batchMaxRows: number;
  pollIntervalMs: number;
  delayMs: number;
}

function settings(config: Readonly<Record<string, string>>): Settings {
  const mode = (config['mode'] ?? '') as Mode;
  if (!MODES.includes(mode)) throw new ConfigError(`Invalid value ${config['mode'] ?? ''} for configuration mode: String must be one of: bulk, timestamp, incrementing, timestamp+incrementing`);
  const incColumn = config['incrementing.column.name'] ?? '';
  const tsColumns = list(config['timestamp.column.name']);
  if ((mode === 'incrementing' || mode === 'timestamp+incrementing') && incColumn === '') throw new ConfigError(`Missing required configuration "incrementing.column.name" for mode ${mode}`);
  if ((mode === 'timestamp' || mode === 'timestamp+incrementing') && tsColumns.length === 0) throw new ConfigError(`Missing required configuration "timestamp.column.name" for mode ${mode}`);
  const num = (k: string, d: number): number => {
    const v = config[k] ?? String(d);
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`Invalid value ${v} for configuration ${k}: Value must be at least 0`);
    return n;
  };
  const query = config['query']?.trim() || null;
  return { mode, incColumn, tsColumns, query, batchMaxRows: Math.max(1, num('batch.max.rows', 100)), pollIntervalMs: num('poll.interval.ms', 5000), delayMs: num('timestamp.delay.interval.ms', 0) };
}

class PostgresSourceTask implements SourceTask {
  private client: pg.Client | null = null;
  private s: Settings | null = null;
  private sources: Source[] = [];
  private url = '';
  private clientConfig: pg.ClientConfig = {};

  async start(config: TaskConfig, context: TaskContext): Promise<void> {
    this.s = settings(config);
    this.url = config['connection.url'] ?? '';
    const prefix = config['topic.prefix'] ?? '';
    const initialTs = config['timestamp.initial'];
    const initial: Offset = { incrementing: -1n, tsUs: initialTs === '-1' ? BigInt(Date.now()) * 1000n : initialTs !== undefined && initialTs !== '' ? BigInt(Number(initialTs)) * 1000n : 0n };
    const make = (table: string | null): Source => {
      const partition: JsonObject = table === null ? { query: this.s?.query ?? '' } : { table };
      const stored = context.offset(partition);
      const o = stored === null ? initial : readOffset(stored);
      return { table, topic: table === null ? prefix : `${prefix}${table}`, partition, offset: { incrementing: o.incrementing ?? initial.incrementing, tsUs: o.tsUs ?? initial.tsUs }, nextPollAt: 0 };
    };
    this.sources = this.s.query !== null ? [make(null)] : list(config['tables']).map(make);
    await this.connect(config);
  }

  private async connect(config: TaskConfig): Promise<void> {
    // Reconnects (after a lost connection) use the same settings.
    this.clientConfig = {
      ...pgClientSettings(this.url, config),
      options: '-c TimeZone=UTC',
      // Every value as the server's text, converted by column type in parse().
      types: { getTypeParser: () => (v: string) => v },
    };
    const client = new pg.Client(this.clientConfig);
    try {
      await client.connect();
    } catch (e) {
      throw new RetriableError(`could not connect to ${this.url}: ${(e as Error).message}`);
    }
    client.on('error', () => undefined);
    this.client = client;
  }

  /** The SELECT of one source past its offset, and its parameters. */
  private statement(src: Source): { sql: string; params: unknown[] } {
    const s = this.s as Settings;
    const from = src.table === null ? `(${s.query}) AS __samsa_query` : ident(src.table);
    const ts = s.tsColumns.length === 1 ? ident(s.tsColumns[0] as string) : `COALESCE(${s.tsColumns.map(ident).join(', ')})`;
    const inc = ident(s.incColumn);
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const upper = (): string => `${ts} < CURRENT_TIMESTAMP - (${p(s.delayMs)}::bigint * INTERVAL '1 millisecond')`;
    const tsCol = `, (EXTRACT(EPOCH FROM ${ts}) * 1000000)::bigint AS ${TS_US}`;
    switch (s.mode) {
      case 'bulk':
        return { sql: `SELECT * FROM ${from}`, params };
      case 'incrementing':
        return { sql: `SELECT * FROM ${from} WHERE ${inc} > ${p(String(src.offset.incrementing ?? -1n))} ORDER BY ${inc} ASC LIMIT ${s.batchMaxRows}`, params };
      case 'timestamp':
        return { sql: `SELECT *${tsCol} FROM ${from} WHERE ${ts} > ${p(usToTimestamp(src.offset.tsUs ?? 0n))}::timestamptz AND ${upper()} ORDER BY ${ts} ASC LIMIT ${s.batchMaxRows}`, params };
      case 'timestamp+incrementing': {
        const at = p(usToTimestamp(src.offset.tsUs ?? 0n));
        return { sql: `SELECT *${tsCol} FROM ${from} WHERE ((${ts} = ${at}::timestamptz AND ${inc} > ${p(String(src.offset.incrementing ?? -1n))}) OR ${ts} > ${at}::timestamptz) AND ${upper()} ORDER BY ${ts} ASC, ${inc} ASC LIMIT ${s.batchMaxRows}`, params };
      }
    }
  }

  async poll(): Promise<ConnectRecord[]> {
    const client = this.client;
    const s = this.s;
    if (client === null || s === null) return [];
    const now = Date.now();
    const out: ConnectRecord[] = [];
    for (const src of this.sources) {
      if (src.nextPollAt > now) continue;
      let rows: pg.QueryResult<Record<string, string | null>>;
      try {
        const st = this.statement(src);
        rows = await client.query<Record<string, string | null>>(st.sql, st.params);
        // Timestamp mode with a full page: the rows of the last timestamp may go on past the page; read them all.
        if (s.mode === 'timestamp' && rows.rows.length === s.batchMaxRows) rows = await this.completeLastTimestamp(src, rows);
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (code.startsWith('08') || code === '57P01' || code === '') {
          await this.reconnect();
          throw new RetriableError(`PostgreSQL: ${(e as Error).message}`);
        }
        throw new DataError(`query of ${src.table ?? 'the query'} failed: ${(e as Error).message}`);
      }
      const fields = rows.fields.filter((f) => f.name !== TS_US);
      const schema: ConnectSchema = { type: 'struct', ...(src.table !== null ? { name: src.table } : {}), optional: false, fields: fields.map((f) => ({ ...schemaOf(f.dataTypeID), field: f.name })) };
      for (const row of rows.rows) {
        const value: Record<string, unknown> = {};
        for (const f of fields) {
          const v = row[f.name];
          value[f.name] = v === null || v === undefined ? null : parse(f.dataTypeID, v);
        }
        if (s.mode === 'incrementing' || s.mode === 'timestamp+incrementing') {
          const inc = row[s.incColumn];
          if (inc === null || inc === undefined) throw new DataError(`incrementing column ${s.incColumn} of ${src.table ?? 'the query'} is null`);
          src.offset.incrementing = BigInt(inc);
        }
        if (s.mode === 'timestamp' || s.mode === 'timestamp+incrementing') {
          const us = row[TS_US];
          if (us !== null && us !== undefined) src.offset.tsUs = BigInt(us);
        }
        out.push({ topic: src.topic, kafkaPartition: null, key: null, keySchema: null, value, valueSchema: schema, timestamp: null, headers: [], sourcePartition: src.partition, sourceOffset: writeOffset(s.mode, src.offset) });
      }
      // A full page: more rows are waiting, poll again at once; else after poll.interval.ms.
      src.nextPollAt = s.mode !== 'bulk' && rows.rows.length >= s.batchMaxRows ? 0 : now + s.pollIntervalMs;
    }
    return out;
  }

  private async completeLastTimestamp(src: Source, page: pg.QueryResult<Record<string, string | null>>): Promise<pg.QueryResult<Record<string, string | null>>> {
    const s = this.s as Settings;
    const last = page.rows.at(-1)?.[TS_US];
    if (last === null || last === undefined || this.client === null) return page;
    const before = page.rows.filter((r) => r[TS_US] !== last);
    const from = src.table === null ? `(${s.query}) AS __samsa_query` : ident(src.table);
    const ts = s.tsColumns.length === 1 ? ident(s.tsColumns[0] as string) : `COALESCE(${s.tsColumns.map(ident).join(', ')})`;
    const same = await this.client.query<Record<string, string | null>>(`SELECT *, (EXTRACT(EPOCH FROM ${ts}) * 1000000)::bigint AS ${TS_US} FROM ${from} WHERE ${ts} = $1::timestamptz`, [usToTimestamp(BigInt(last))]);
    return { ...page, rows: [...before, ...same.rows] };
  }

  private async reconnect(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
    const c = new pg.Client(this.clientConfig);
    try {
      await c.connect();
      c.on('error', () => undefined);
      this.client = c;
    } catch {
      // the next poll answers [] until a reconnect works
      setTimeout(() => void this.reconnect(), 1000).unref();
    }
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

export const postgresSource: ConnectorPlugin = {
  className: 'io.confluent.connect.jdbc.JdbcSourceConnector',
  aliases: ['JdbcSource', 'JdbcSourceConnector', 'PostgresSource'],
  type: 'source',
  version: '1.0.0',
  config: [
    ...CONNECTION_CONFIG,
    { name: 'mode', type: 'STRING', required: true, documentation: 'bulk, incrementing, timestamp or timestamp+incrementing.' },
    { name: 'incrementing.column.name', type: 'STRING', required: false, defaultValue: '', documentation: 'A strictly increasing column (incrementing modes).' },
    { name: 'timestamp.column.name', type: 'LIST', required: false, defaultValue: '', documentation: 'Timestamp columns (their COALESCE) for the timestamp modes.' },
    { name: 'table.whitelist', type: 'LIST', required: false, defaultValue: '', documentation: 'Tables to copy (also table.include.list).' },
    { name: 'query', type: 'STRING', required: false, defaultValue: '', documentation: 'A query to copy the result of instead of tables.' },
    { name: 'topic.prefix', type: 'STRING', required: true, documentation: 'Prefix of the topic names (a table\'s topic is prefix + table; a query\'s is the prefix).' },
    { name: 'poll.interval.ms', type: 'INT', required: false, defaultValue: '5000', documentation: 'How often to poll each table for new rows.' },
    { name: 'batch.max.rows', type: 'INT', required: false, defaultValue: '100', documentation: 'Rows per query and poll.' },
    { name: 'timestamp.delay.interval.ms', type: 'LONG', required: false, defaultValue: '0', documentation: 'How long after its timestamp a row is read (timestamp modes).' },
  ],
  taskConfigs(config, maxTasks) {
    pgConnectionString(requireConnectionUrl(config));
    if (config['topic.prefix'] === undefined) throw new ConfigError('Missing required configuration "topic.prefix" which has no default value.');
    const s = settings(config);
    const tables = list(config['table.whitelist'] ?? config['table.include.list']);
    if (s.query !== null && tables.length > 0) throw new ConfigError('Only one of table.whitelist or query may be set');
    if (s.query !== null) return [{ ...config }];
    if (tables.length === 0) throw new ConfigError('table.whitelist (or query) is required: Samsa does not discover tables');
    const n = Math.max(1, Math.min(maxTasks, tables.length));
    return Array.from({ length: n }, (_, i) => ({ ...config, tables: tables.filter((_, j) => j % n === i).join(',') }));
  },
  createSourceTask: () => new PostgresSourceTask(),
};
