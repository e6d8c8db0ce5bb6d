/**
 * What a connection hands its request frames to (Kafka's RequestChannel between the network and
 * the request handlers): one call per frame, answered with the response chunks or nothing (acks=0
 * Produce), synchronously or later; responses still go out in request order (connection.ts).
 * Samsa's additions: the dispatcher may say a frame's buffer is free once dispatch returned, so
 * the connection reuses it for the next large frame; and it may ask for the split of each answered
 * request's time (Kafka's RequestMetrics queue/local/remote/response-queue/send times), which the
 * connection then measures (metrics/request-metrics.ts says what each part covers).
 */
import type { Connection } from './connection.js';

/** What the dispatcher returns for a frame: response chunks (size prefix excluded), or null for no response. */
export type DispatchResult = Buffer[] | null;

export interface FrameDispatcher {
  /** Handles one request frame. Throwing (or rejecting) closes the connection. */
  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
  /**
   * True when a request of this API key, once dispatch() has returned a result (not a promise),
   * holds no reference to its frame's bytes, so the frame buffer can be reused. Such a request may
   * also give its frame back before its answer is ready (Connection.releaseFrame).
   */
  frameFreeAfterReturn?(apiKey: number): boolean;
  /** Called once a response's chunks have been written to the socket (or the write failed). */
  responseWritten?(chunks: Buffer[]): void;
  /** True when requestTimed wants the split of every answered request's time (read per request). */
  readonly timesRequests?: boolean;
  /** The split of an answered request's time, in milliseconds (only when timesRequests). */
  requestTimed?(apiKey: number, queueMs: number, localMs: number, remoteMs: number, responseQueueMs: number, sendMs: number): void;
}
