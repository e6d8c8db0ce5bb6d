/**
 * The three exception handlers of a Streams application: deserialization
 * (`default.deserialization.exception.handler`), production (`default.production.exception.handler`)
 * and processing (`processing.exception.handler`, KIP-1033). Each answers CONTINUE (drop the
 * record, count it in dropped-records-total, go on) or FAIL (the application stops in ERROR).
 *
 * Kafka's rules kept: the defaults are LogAndFail for deserialization, Default (fail) for
 * production and LogAndFail for processing; LogAndContinueExceptionHandler logs a warning and
 * continues; a production handler sees only records of sink topics that the broker refused with a
 * non-retriable error (changelog writes always fail the application); a processing handler sees
 * an exception thrown by a processor (the record is dropped from that node on; what the node
 * forwarded before throwing stays forwarded); the context carries the task, the processor node and
 * the source record's topic, partition and offset. Samsa's deviations: handlers are functions (or
 * the names 'continue' / 'fail'), not classes named in the config; a batch the broker refused as
 * a whole is retried record by record before the handler is asked, so one oversized record does
 * not take its neighbours with it.
 */
import { log } from '../common/logger.js';

export const HandlerResponse = { CONTINUE: 'continue', FAIL: 'fail' } as const;
export type HandlerResponseName = (typeof HandlerResponse)[keyof typeof HandlerResponse];

export interface ErrorHandlerContext {
  taskId: string;
  /** The processor node that threw (processing), the source node (deserialization) or the sink (production). */
  processorNodeId: string;
  topic: string;
  partition: number;
  /** The source record's offset (-1 when unknown, e.g. during a punctuation). */
  offset: bigint;
}

/** A raw record: the bytes that failed to deserialize or that the broker refused. */
export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: bigint;
}

export type DeserializationExceptionHandler = (ctx: ErrorHandlerContext, record: RawRecord, error: unknown) => HandlerResponseName;
export type ProductionExceptionHandler = (ctx: ErrorHandlerContext, record: RawRecord, error: unknown) => HandlerResponseName;
export type ProcessingExceptionHandler = (ctx: ErrorHandlerContext, record: { key: unknown; value: unknown; timestamp: number }, error: unknown) => HandlerResponseName;

const where = (ctx: ErrorHandlerContext): string => `task ${ctx.taskId}, node ${ctx.processorNodeId}, ${ctx.topic}-${ctx.partition}@${ctx.offset}`;

/** Kafka's LogAndContinueExceptionHandler (deserialization). */
export const LogAndContinueExceptionHandler: DeserializationExceptionHandler = (ctx, _r, e) => {
  log.warn(`Exception caught during Deserialization (${where(ctx)}); the record is skipped`, e);
  return HandlerResponse.CONTINUE;
};
/** Kafka's LogAndFailExceptionHandler (deserialization). */
export const LogAndFailExceptionHandler: DeserializationExceptionHandler = (ctx, _r, e) => {
  log.warn(`Exception caught during Deserialization (${where(ctx)}); the application fails`, e);
  return HandlerResponse.FAIL;
};
/** Kafka's LogAndContinueProcessingExceptionHandler (KIP-1033). */
export const LogAndContinueProcessingExceptionHandler: ProcessingExceptionHandler = (ctx, _r, e) => {
  log.warn(`Exception caught during message processing (${where(ctx)}); the record is dropped`, e);
  return HandlerResponse.CONTINUE;
};
/** Kafka's LogAndFailProcessingExceptionHandler (KIP-1033, the default). */
export const LogAndFailProcessingExceptionHandler: ProcessingExceptionHandler = () => HandlerResponse.FAIL;
/** Kafka's DefaultProductionExceptionHandler: fail. */
export const DefaultProductionExceptionHandler: ProductionExceptionHandler = () => HandlerResponse.FAIL;
/** Log and continue for production errors (a sink record the broker refused is dropped). */
export const LogAndContinueProductionExceptionHandler: ProductionExceptionHandler = (ctx, _r, e) => {
  log.warn(`Error sending a record to ${ctx.topic} (${where(ctx)}); the record is dropped`, e);
  return HandlerResponse.CONTINUE;
};

type Named<H> = H | HandlerResponseName;

export function deserializationHandler(h: Named<DeserializationExceptionHandler> | undefined): DeserializationExceptionHandler {
  return h === undefined || h === 'fail' ? LogAndFailExceptionHandler : h === 'continue' ? LogAndContinueExceptionHandler : h;
}

export function productionHandler(h: Named<ProductionExceptionHandler> | undefined): ProductionExceptionHandler {
  return h === undefined || h === 'fail' ? DefaultProductionExceptionHandler : h === 'continue' ? LogAndContinueProductionExceptionHandler : h;
}

export function processingHandler(h: Named<ProcessingExceptionHandler> | undefined): ProcessingExceptionHandler {
  return h === undefined || h === 'fail' ? LogAndFailProcessingExceptionHandler : h === 'continue' ? LogAndContinueProcessingExceptionHandler : h;
}

/** A processing failure the handler said to FAIL on: passed up through the parent nodes without asking again. */
export class ProcessingFailure extends Error {
  constructor(
    readonly ctx: ErrorHandlerContext,
    cause: unknown,
  ) {
    super(`processing failed (${where(ctx)}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ProcessingFailure';
  }
}
