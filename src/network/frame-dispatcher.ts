/**
 * What a connection hands its request frames to (Kafka's RequestChannel between the network and
 * the request handlers): one call per frame, answered with the response chunks or nothing (acks=0
 * Produce), synchronously or later; responses still go out in request order (connection.ts).
 * Samsa's addition: the dispatcher may say a frame's buffer is free once dispatch returned, so
 * the connection reuses it for the next large frame.
 */
import type { Connection } from './connection.js';

/** What the dispatcher returns for a frame: response chunks (size prefix excluded), or null for no response. */
export type DispatchResult = Buffer[] | null;

export interface FrameDispatcher {
  /** Handles one request frame. Throwing (or rejecting) closes the connection. */
  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
  /**
   * True when a request of this API key, once dispatch() has returned a result (not a promise),
   * holds no reference to its frame's bytes, so the frame buffer can be reused.
   */
  frameFreeAfterReturn?(apiKey: number): boolean;
  /** Called once a response's chunks have been written to the socket (or the write failed). */
  responseWritten?(chunks: Buffer[]): void;
}
