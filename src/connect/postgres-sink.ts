/**
 * A PostgreSQL sink connector with the JDBC sink's configuration (io.confluent.connect.jdbc.
 * JdbcSinkConnector, alias JdbcSink / PostgresSink): `connection.url` (jdbc:postgresql://h:p/db
 * or postgres://...), `connection.user`, `connection.password`, `table.name.format` (default
 * `${topic}`), `pk.mode` (none, record_key, record_value, kafka), `pk.fields`, `insert.mode`
 * (insert, upsert), `auto.create`, `batch.size` (default 3000), `delete.enabled`.
 *
 * Kafka/Confluent rules kept: with record_key a primitive key fills the one pk.fields column
 * (default `__connect_key`) and a struct key its fields (pk.fields, or all of them); kafka mode
 * keys by __connect_topic/__connect_partition/__connect_offset; upsert is INSERT ... ON CONFLICT
 * (pk) DO UPDATE; a tombstone deletes the row when delete.enabled=true (record_key only); auto.create
 * creates a missing table with the primary key. Samsa's deviations: column types come from the
 * value's JsonConverter schema when present, else from the values of the first batch (BIGINT,
 * DOUBLE PRECISION, TEXT, BOOLEAN, BYTEA, JSONB); no auto.evolve; within one batch the last
 * record of a key wins before the statement is sent (PostgreSQL refuses one row twice).
 */
import pg from 'pg';
import { ConfigError, DataError, RetriableError, type ConnectRecord, type ConnectSchema, type ConnectorPlugin, type SinkTask, type TaskConfig } from './api.js';
import { CONNECTION_CONFIG, pgClientSettings, pgConnectionString, requireConnectionUrl } from './postgres-connection.js';

type Row = Record<string, unknown>;

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function sqlType(schema: ConnectSchema | undefined, value: unknown): string {
  switch (schema?.type) {
    case 'int8':
    case 'int16':
      return 'SMALLINT';
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
    case 'float32':
      return 'REAL';
    case 'float64':
    case 'double':
      return 'DOUBLE PRECISION';
    case 'boolean':
      return 'BOOLEAN';
    case 'string':
      return 'TEXT';
    case 'bytes':
      return 'BYTEA';
    case 'struct':
    case 'map':
    case 'array':
      return 'JSONB';
    default:
  }
  if (typeof value === 'number') return Number.isInteger(value) ? 'BIGINT' : 'DOUBLE PRECISION';
  if (typeof value === 'bigint') return 'BIGINT';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (Buffer.isBuffer(value)) return 'BYTEA';
  if (value !== null && typeof value === 'object') return 'JSONB';
  return 'TEXT';
}

const sqlValue = (v: unknown): unknown => (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) ? JSON.stringify(v) : v);

class PostgresSinkTask implements SinkTask {
  private client: pg.Client | null = null;
  private tableFormat = '${topic}';
  private pkMode = 'none';
  private pkFields: string[] = [];
  private upsert = false;
  private autoCreate = false;
  private batchSize = 3000;
  private deleteEnabled = false;
  private readonly known = new Set<string>();

  async start(config: TaskConfig): Promise<void> {
    const url = requireConnectionUrl(config);
    this.tableFormat = config['table.name.format'] ?? '${topic}';
    this.pkMode = (config['pk.mode'] ?? 'none').toLowerCase();
    if (!['none', 'record_key', 'record_value', 'kafka'].includes(this.pkMode)) throw new ConfigError(`Invalid value ${this.pkMode} for configuration pk.mode`);
    this.pkFields = (config['pk.fields'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    this.upsert = (config['insert.mode'] ?? 'insert').toLowerCase() === 'upsert';
    if (this.upsert && this.pkMode === 'none') throw new ConfigError('insert.mode=upsert requires a pk.mode other than none');
    this.autoCreate = config['auto.create'] === 'true';
    this.batchSize = Math.max(1, Number(config['batch.size'] ?? '3000') || 3000);
    this.deleteEnabled = config['delete.enabled'] === 'true';
    const client = new pg.Client(pgClientSettings(url, config));
    try {
      await client.connect();
    } catch (e) {
      throw new RetriableError(`could not connect to ${url}: ${(e as Error).message}`);
    }
    client.on('error', () => undefined);
    this.client = client;
  }

  /** The primary key columns and the row of a record. */
  private row(r: ConnectRecord): { pk: Row; cols: Row; schema: Map<string, ConnectSchema> } {
    const schema = new Map<string, ConnectSchema>();
    for (const f of r.valueSchema?.type === 'struct' ? (r.valueSchema.fields ?? []) : []) if (f.field !== undefined) schema.set(f.field, f);
    const value = r.value === null ? {} : r.value;
    if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) throw new DataError(`Sink connector requires a struct or map value (schemaless JSON object), found ${typeof r.value} in ${r.topic}-${r.kafkaPartition}@${r.kafkaOffset}`);
    const cols: Row = { ...(value as Row) };
    const pk: Row = {};
    if (this.pkMode === 'record_key') {
      if (r.key === null || r.key === undefined) throw new DataError(`pk.mode=record_key needs a key: ${r.topic}-${r.kafkaPartition}@${r.kafkaOffset} has none`);
      if (typeof r.key === 'object' && !Buffer.isBuffer(r.key) && !Array.isArray(r.key)) {
        const k = r.key as Row;
        for (const f of this.pkFields.length > 0 ? this.pkFields : Object.keys(k)) pk[f] = k[f] ?? null;
      } else pk[this.pkFields[0] ?? '__connect_key'] = r.key;
    } else if (this.pkMode === 'record_value') {
      for (const f of this.pkFields.length > 0 ? this.pkFields : Object.keys(cols)) pk[f] = cols[f] ?? null;
    } else if (this.pkMode === 'kafka') {
      Object.assign(pk, { __connect_topic: r.topic, __connect_partition: r.kafkaPartition, __connect_offset: Number(r.kafkaOffset ?? -1n) });
    }
    for (const k of Object.keys(pk)) delete cols[k];
    return { pk, cols, schema };
  }

  /** Creates the table when missing; a column's type comes from its schema, else from every value of the batch. */
  private async ensureTable(table: string, rows: readonly { pk: Row; cols: Row; schema: Map<string, ConnectSchema> }[]): Promise<void> {
    if (this.known.has(table) || this.client === null) return;
    const exists = await this.client.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [table]);
    if (exists.rowCount === 0) {
      if (!this.autoCreate) throw new ConfigError(`Table ${ident(table)} is missing and auto-creation is disabled`);
      const typeOf = (col: string, part: 'pk' | 'cols'): string => {
        const types = new Set<string>();
        for (const r of rows) {
          const v = r[part][col];
          if (v !== null && v !== undefined) types.add(sqlType(part === 'cols' ? r.schema.get(col) : undefined, v));
        }
        if (types.size === 0) return 'TEXT';
        if (types.size === 1) return [...types][0] as string;
        if ([...types].every((t) => t === 'BIGINT' || t === 'DOUBLE PRECISION')) return 'DOUBLE PRECISION';
        return 'TEXT';
      };
      const pkCols = [...new Set(rows.flatMap((r) => Object.keys(r.pk)))];
      const valueCols = [...new Set(rows.flatMap((r) => Object.keys(r.cols)))];
      const defs = [...pkCols.map((c) => `${ident(c)} ${typeOf(c, 'pk')} NOT NULL`), ...valueCols.map((c) => `${ident(c)} ${typeOf(c, 'cols')}`)];
      await this.client.query(`CREATE TABLE IF NOT EXISTS ${ident(table)} (${defs.join(', ')}${pkCols.length > 0 ? `, PRIMARY KEY (${pkCols.map(ident).join(', ')})` : ''})`);
    }
    this.known.add(table);
  }

  async put(records: ConnectRecord[]): Promise<void> {
    if (this.client === null || records.length === 0) return;
    const byTable = new Map<string, { r: ConnectRecord; row: ReturnType<PostgresSinkTask['row']> }[]>();
    for (const r of records) {
      const table = this.tableFormat.replace(/\$\{topic\}/g, r.topic);
      byTable.set(table, [...(byTable.get(table) ?? []), { r, row: this.row(r) }]);
    }
    try {
      for (const [table, items] of byTable) {
        await this.ensureTable(table, items.filter((i) => i.r.value !== null).map((i) => i.row));
        for (let i = 0; i < items.length; i += this.batchSize) await this.writeBatch(table, items.slice(i, i + this.batchSize));
      }
    } catch (e) {
      if (e instanceof ConfigError || e instanceof DataError) throw e;
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('08') || code === '40001' || code === '40P01' || code === '') throw new RetriableError(`PostgreSQL: ${(e as Error).message}`);
      throw e;
    }
  }

  private async writeBatch(table: string, items: { r: ConnectRecord; row: ReturnType<PostgresSinkTask['row']> }[]): Promise<void> {
    const client = this.client;
    if (client === null) return;
    // The last record of each key wins within the batch.
    const last = new Map<string, (typeof items)[number]>();
    items.forEach((it, i) => last.set(this.upsert || it.r.value === null ? JSON.stringify(it.row.pk) : `#${i}`, it));
    const deletes = [...last.values()].filter((it) => it.r.value === null);
    const rows = [...last.values()].filter((it) => it.r.value !== null);
    if (deletes.length > 0 && !this.deleteEnabled) throw new DataError(`A tombstone for ${table} with delete.enabled=false`);
    for (const d of deletes) {
      const keys = Object.keys(d.row.pk);
      await client.query(`DELETE FROM ${ident(table)} WHERE ${keys.map((k, i) => `${ident(k)} = $${i + 1}`).join(' AND ')}`, keys.map((k) => d.row.pk[k]));
    }
    if (rows.length === 0) return;
    const pkCols = Object.keys(rows[0]?.row.pk ?? {});
    const valueCols = [...new Set(rows.flatMap((it) => Object.keys(it.row.cols)))];
    const cols = [...pkCols, ...valueCols];
    const params: unknown[] = [];
    const tuples = rows.map((it) => `(${cols.map((c) => {
      params.push(sqlValue(c in it.row.pk ? it.row.pk[c] : (it.row.cols[c] ?? null)));
      return `$${params.length}`;
    }).join(', ')})`);
    let sql = `INSERT INTO ${ident(table)} (${cols.map(ident).join(', ')}) VALUES ${tuples.join(', ')}`;
    if (this.upsert) sql += valueCols.length > 0 ? ` ON CONFLICT (${pkCols.map(ident).join(', ')}) DO UPDATE SET ${valueCols.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}` : ` ON CONFLICT (${pkCols.map(ident).join(', ')}) DO NOTHING`;
    await client.query(sql, params);
  }

  async flush(): Promise<void> {
    // put() writes each batch in its own statement (autocommit): nothing is buffered.
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

export const postgresSink: ConnectorPlugin = {
  className: 'io.confluent.connect.jdbc.JdbcSinkConnector',
  aliases: ['JdbcSink', 'JdbcSinkConnector', 'PostgresSink'],
  type: 'sink',
  version: '1.0.0',
  config: [
    ...CONNECTION_CONFIG,
    { name: 'table.name.format', type: 'STRING', required: false, defaultValue: '${topic}', documentation: 'Destination table name, ${topic} replaced by the topic.' },
    { name: 'pk.mode', type: 'STRING', required: false, defaultValue: 'none', documentation: 'none, kafka, record_key or record_value.' },
    { name: 'pk.fields', type: 'LIST', required: false, defaultValue: '', documentation: 'Primary key field names.' },
    { name: 'insert.mode', type: 'STRING', required: false, defaultValue: 'insert', documentation: 'insert or upsert.' },
    { name: 'auto.create', type: 'BOOLEAN', required: false, defaultValue: 'false', documentation: 'Create the destination table when missing.' },
    { name: 'batch.size', type: 'INT', required: false, defaultValue: '3000', documentation: 'Records per INSERT statement.' },
    { name: 'delete.enabled', type: 'BOOLEAN', required: false, defaultValue: 'false', documentation: 'Tombstones delete rows (pk.mode=record_key).' },
  ],
  taskConfigs(config, maxTasks) {
    pgConnectionString(requireConnectionUrl(config));
    return Array.from({ length: Math.max(1, maxTasks) }, () => ({ ...config }));
  },
  createSinkTask: () => new PostgresSinkTask(),
};
