/**
 * The configuration of a KafkaStreams instance (StreamsConfig), the restore event it reports and
 * its lifecycle states.
 *
 * Kafka's rules kept: the config names in the comments are Kafka Streams' own, with their
 * defaults; the states are KafkaStreams.State's (CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN,
 * NOT_RUNNING, ERROR). Samsa's deviations: the config is a typed object rather than properties;
 * the restore listener is told once per task rather than per store partition.
 */
import type { DeserializationExceptionHandler, ProcessingExceptionHandler, ProductionExceptionHandler } from './error-handlers.js';
import type { Serde } from './serdes.js';

export interface StreamsConfig {
  /** application.id: the group id, the prefix of internal topics and the state directory's name. */
  applicationId: string;
  bootstrapServers: string | readonly string[];
  /** state.dir (default `<tmpdir>/samsa-streams`). */
  stateDir?: string;
  /** commit.interval.ms (default 30,000). */
  commitIntervalMs?: number;
  /** replication.factor of internal topics (default -1: the broker's default). */
  replicationFactor?: number;
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
  /** default.deserialization.exception.handler: 'fail' (default, LogAndFail), 'continue' (LogAndContinue) or a handler. */
  deserializationExceptionHandler?: 'fail' | 'continue' | DeserializationExceptionHandler;
  /** default.production.exception.handler: 'fail' (default) or 'continue' (drop a sink record the broker refused) or a handler. */
  productionExceptionHandler?: 'fail' | 'continue' | ProductionExceptionHandler;
  /** processing.exception.handler (KIP-1033): 'fail' (default) or 'continue' (drop the record) or a handler. */
  processingExceptionHandler?: 'fail' | 'continue' | ProcessingExceptionHandler;
  /** processing.guarantee: at_least_once (default) or exactly_once_v2 (transactions). */
  processingGuarantee?: 'at_least_once' | 'exactly_once_v2';
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** poll.ms (default 100). */
  pollMs?: number;
  /** num.standby.replicas (default 0): standby tasks kept on other instances for each task. */
  numStandbyReplicas?: number;
  /** Told when a task's stores were restored (Kafka's StateRestoreListener.onRestoreEnd, per task). */
  onRestored?: (e: RestoreEvent) => void;
  clientId?: string;
  /** windowstore.changelog.additional.retention.ms (default 86,400,000): added to a windowed store's retention for its changelog's retention.ms. */
  windowStoreChangelogAdditionalRetentionMs?: number;
  /** Called with the error that moved the instance to ERROR, and with background errors. */
  onError?: (e: unknown) => void;
}

export interface RestoreEvent {
  task: string;
  /** Changelog records read. */
  records: number;
  ms: number;
  /** The task ran here as a standby just before (only the changelogs' tail was left). */
  wasStandby: boolean;
}

export const StreamsState = {
  CREATED: 'CREATED',
  REBALANCING: 'REBALANCING',
  RUNNING: 'RUNNING',
  PENDING_SHUTDOWN: 'PENDING_SHUTDOWN',
  NOT_RUNNING: 'NOT_RUNNING',
  ERROR: 'ERROR',
} as const;
export type StreamsStateName = (typeof StreamsState)[keyof typeof StreamsState];
