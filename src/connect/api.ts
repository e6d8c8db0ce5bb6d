/**
 * The connector API for TypeScript plug-ins: a connector splits its work into task configs; a
 * source task polls records carrying a source partition and offset; a sink task receives records
 * in put() and makes them durable in flush(), after which the runtime commits their offsets.
 *
 * Kafka's model kept (org.apache.kafka.connect.connector/source/sink): Connector.taskConfigs(max),
 * SourceTask.poll() returning records with sourcePartition/sourceOffset, SinkTask.put/flush, the
 * ConnectRecord fields (topic, kafkaPartition, key, value, timestamp, headers). Samsa's
 * deviations: values are plain JS values (string, number, boolean, null, Buffer, arrays, objects
 * as structs/maps); a schema is optional metadata (used by JsonConverter's envelope), not a
 * typed Struct; task and connector methods are async.
 */

/** A Connect schema as JsonConverter writes it ({"type":"struct","fields":[...]}). */
export interface ConnectSchema {
  type: string;
  optional?: boolean;
  name?: string;
  field?: string;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  keys?: ConnectSchema;
  values?: ConnectSchema;
}

export interface ConnectHeader {
  key: string;
  value: Buffer | null;
}

export type JsonObject = Record<string, unknown>;

export interface ConnectRecord {
  topic: string;
  kafkaPartition: number | null;
  keySchema?: ConnectSchema | null;
  key: unknown;
  valueSchema?: ConnectSchema | null;
  value: unknown;
  /** Milliseconds since the epoch, or null. */
  timestamp: number | null;
  headers: ConnectHeader[];
  /** Source records: where in the source system the record came from. */
  sourcePartition?: JsonObject;
  sourceOffset?: JsonObject;
  /** Sink records: the offset in Kafka. */
  kafkaOffset?: bigint;
}

export type TaskConfig = Record<string, string>;

/** What a task can ask of the runtime. */
export interface TaskContext {
  /** Source tasks: the last committed offset of a source partition, or null. */
  offset(partition: JsonObject): JsonObject | null;
}

export interface ConfigDef {
  name: string;
  type: 'STRING' | 'INT' | 'LONG' | 'BOOLEAN' | 'LIST' | 'PASSWORD' | 'CLASS';
  required: boolean;
  defaultValue?: string;
  documentation: string;
}

export interface SourceTask {
  start(config: TaskConfig, context: TaskContext): Promise<void>;
  /** Records ready now ([] when none; the runtime calls again). */
  poll(): Promise<ConnectRecord[]>;
  /** Optional (Kafka's SourceTask.commitRecord): a polled record was written, at this offset of the target topic. */
  commitRecord?(record: ConnectRecord, written: { topic: string; partition: number; offset: bigint }): void;
  stop(): Promise<void>;
}

/** What a sink task can ask of the runtime (Kafka's SinkTaskContext). */
export interface SinkTaskContext {
  /**
   * KIP-610's ErrantRecordReporter: hands a record the task could not write to the runtime's error
   * handling (errors.tolerance=all: logged and written to the dead letter queue as consumed;
   * none: the task fails).
   */
  reportErrant(record: ConnectRecord, error: unknown): Promise<void>;
}

export interface SinkTask {
  start(config: TaskConfig, context?: SinkTaskContext): Promise<void>;
  put(records: ConnectRecord[]): Promise<void>;
  /** Makes everything put so far durable. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface ConnectorPlugin {
  /** Kafka's class name, e.g. org.apache.kafka.connect.file.FileStreamSourceConnector. */
  className: string;
  /** Short names it answers to as well (e.g. FileStreamSource, FileStreamSourceConnector). */
  aliases: string[];
  type: 'source' | 'sink';
  version: string;
  config: ConfigDef[];
  /** Task configs for at most maxTasks tasks. */
  taskConfigs(config: Record<string, string>, maxTasks: number): TaskConfig[];
  createSourceTask?: () => SourceTask;
  /** Source connectors: whether records and offsets may be written in one transaction (KIP-618's exactlyOnceSupport; default UNSUPPORTED). */
  exactlyOnceSupport?: 'SUPPORTED' | 'UNSUPPORTED';
  createSinkTask?: () => SinkTask;
}

/** An error the runtime retries (Kafka's RetriableException) within errors.retry.timeout. */
export class RetriableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetriableException';
  }
}

/** A connector or worker configuration error (Kafka's ConfigException). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigException';
  }
}

/** A data conversion failure (Kafka's DataException). */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataException';
  }
}
