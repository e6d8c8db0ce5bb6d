/**
 * The Processor API: a record flowing through a topology, the context a processor sees (its task,
 * stream time, state stores, forward to its children) and the processor itself.
 *
 * Kafka's rules kept: a record carries key, value, timestamp and headers; a processor forwards
 * zero or more records to all its children; stream time is the largest record timestamp the task
 * has processed. Samsa's deviations: processing is synchronous (process() returns nothing to
 * await; stores answer synchronously from their cache and the embedded LMDB). Punctuators:
 * punctuation.ts.
 */
import type { RecordHeader } from '../protocol/records/record.js';
import type { Cancellable, Punctuator, PunctuationTypeName } from './punctuation.js';
import type { KeyValueStore } from './state-store.js';

export interface StreamRecord {
  key: unknown;
  value: unknown;
  /** Milliseconds since the epoch. */
  timestamp: number;
  headers: RecordHeader[];
}

/** Where the record being processed was read from (Kafka's RecordContext). */
export interface RecordSource {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface ProcessorContext {
  readonly applicationId: string;
  /** `<sub-topology>_<partition>`, as Kafka names tasks. */
  readonly taskId: string;
  readonly partition: number;
  /** The largest timestamp this task has processed (-1 before the first record). */
  readonly streamTime: number;
  readonly source: RecordSource | null;
  /** To every child, or to the named child only. */
  forward(record: StreamRecord, child?: string): void;
  store<K, V>(name: string): KeyValueStore<K, V>;
  /** Runs `punctuator` every `intervalMs` of stream time or wall-clock time (from init() or process()). */
  schedule(intervalMs: number, type: PunctuationTypeName, punctuator: Punctuator): Cancellable;
}

export interface Processor {
  init?(ctx: ProcessorContext): void;
  process(record: StreamRecord, ctx: ProcessorContext): void;
  close?(): void;
}

export type ProcessorSupplier = () => Processor;
