/**
 * samsa/streams: Kafka Streams' programming model for TypeScript (the DSL, the Processor API,
 * state stores on LMDB with changelog topics, tasks balanced through a consumer group), running
 * against any Kafka-protocol cluster through src/client. See docs/streams.md.
 */
export { StreamsBuilder, type Consumed, type Materialized } from './builder.js';
export { KStream, BranchedKStream, type Produced, type Grouped } from './kstream.js';
export { KGroupedStream, TimeWindowedKStream } from './kgrouped-stream.js';
export { KTable } from './ktable.js';
export { KafkaStreams } from './kafka-streams.js';
export { StreamsState, type RestoreEvent, type StreamsConfig, type StreamsStateName } from './streams-config.js';
export { Topology } from './topology.js';
export { Serdes, type Serde } from './serdes.js';
export { TimeWindows, timeWindowedSerde, type Window, type Windowed } from './windows.js';
export type { Processor, ProcessorContext, ProcessorSupplier, StreamRecord } from './processor.js';
export type { KeyValueStore } from './state-store.js';
export { PunctuationType, type Punctuator, type Cancellable, type PunctuationTypeName } from './punctuation.js';
export { resetApplication, cleanUpLocalState, type ResetOptions, type ResetResult } from './reset.js';
export { JoinWindows } from './join-windows.js';
export { GlobalKTable } from './global-ktable.js';
export type { StreamJoined } from './kstream.js';
export { SessionWindows, SessionWindowedKStream, sessionWindowedSerde } from './session-windows.js';
export { SlidingWindows, SlidingWindowedKStream } from './sliding-windows.js';
export { Suppressed, BufferConfig } from './suppress.js';
export { avroSerde, type AvroSerde, type AvroSerdeOptions } from './avro-serde.js';
export {
  HandlerResponse,
  LogAndContinueExceptionHandler,
  LogAndFailExceptionHandler,
  LogAndContinueProcessingExceptionHandler,
  LogAndFailProcessingExceptionHandler,
  DefaultProductionExceptionHandler,
  LogAndContinueProductionExceptionHandler,
  type ErrorHandlerContext,
  type DeserializationExceptionHandler,
  type ProductionExceptionHandler,
  type ProcessingExceptionHandler,
} from './error-handlers.js';
export type { StreamsMetric } from './metrics.js';
