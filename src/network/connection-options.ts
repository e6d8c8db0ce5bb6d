/**
 * How a connection is set up by its listener (Kafka's SocketServer processor settings):
 * socket.request.max.bytes, the listener name and security protocol, the broker-wide request
 * budget (queued.max.request.bytes), and the principal once authenticated (Kafka's
 * KafkaPrincipal); frames read before authentication are bounded by Kafka's
 * sasl.server.max.receive.size (`preAuthMaxFrameBytes`). Samsa's deviation: connection ids are
 * numbers unique across the broker's listeners (Kafka's are address strings).
 */
import type { SecurityProtocol } from '../common/security-protocol.js';
import type { BufferPool } from '../common/buffer-pool.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { Connection } from './connection.js';
import type { RequestBudget } from './request-budget.js';
import type { ZeroCopyStats } from './zero-copy-send.js';

export interface ConnectionOptions {
  maxFrameBytes: number;
  listenerName: string;
  budget: RequestBudget;
  onClose: (c: Connection) => void;
  /** Unique among the connections of one broker (its listeners share the sequence). */
  id: number;
  /** The broker's pool for large request frames. */
  framePool: BufferPool;
  /** The broker's time, for quota mutes (default real time). */
  scheduler?: Scheduler;
  /** The broker's logger. */
  logger: Logger;
  /** The listener's security protocol (default PLAINTEXT). */
  securityProtocol?: SecurityProtocol;
  /** Authenticated already (an SSL client certificate, or anonymous); null: SASL must run first. */
  principal?: ConnectionPrincipal | null;
  /** The largest frame read before authentication (sasl.server.max.receive.size); default maxFrameBytes. */
  preAuthMaxFrameBytes?: number;
  /** The broker's zero-copy send counters, shared by its connections (default: the connection's own). */
  zeroCopyStats?: ZeroCopyStats;
}

/** Who a connection authenticated as (Kafka's KafkaPrincipal: `User:alice`). */
export interface ConnectionPrincipal {
  readonly principalType: string;
  readonly name: string;
}
