/**
 * Incremental fetch sessions (KIP-227). A session remembers the partitions a client fetches and
 * what was last sent for each, so incremental requests list only changes and responses carry only
 * partitions with news.
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
export const INVALID_SESSION_ID = 0;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  logStartOffset: bigint;
  /** What the last response told the client; -1n before anything was sent. */
  sentHighWatermark: bigint;
  sentLastStableOffset: bigint;
  sentLogStartOffset: bigint;
}

export class FetchSession {
  /** Next expected epoch. */
  epoch = 1;
  lastUsedMs: number;
  readonly partitions = new Map<string, SessionPartition>();

  constructor(readonly id: number, now: number) {
    this.lastUsedMs = now;
  }

  static key(topicOrId: string, partition: number): string {
    return `${topicOrId}\u0000${partition}`;
  }
}

export interface SessionUpdate {
  session: FetchSession | null;
  /** True for a full (non-incremental) fetch: every requested partition is answered. */
  full: boolean;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1;

  constructor(private readonly maxSlots: number, private readonly clock: Clock, private readonly evictAfterMs = 120_000) {}

  get size(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions.clear();
  }

  /**
   * Decides what a fetch request means for sessions. Throws KafkaError with
   * FETCH_SESSION_ID_NOT_FOUND or INVALID_FETCH_SESSION_EPOCH.
   */
  begin(sessionId: number, epoch: number): SessionUpdate {
    const now = this.clock.now();
    if (sessionId !== INVALID_SESSION_ID && (epoch === INITIAL_EPOCH || epoch === FINAL_EPOCH)) this.sessions.delete(sessionId);
    if (epoch === FINAL_EPOCH) return { session: null, full: true };
    if (epoch === INITIAL_EPOCH) {
      this.evict(now);
      if (this.maxSlots === 0 || this.sessions.size >= this.maxSlots) return { session: null, full: true };
      const session = new FetchSession(this.allocateId(), now);
      this.sessions.set(session.id, session);
      return { session, full: true };
    }
    const session = this.sessions.get(sessionId);
    if (!session) throw new KafkaError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, `Fetch session ${sessionId} not found`);
    if (session.epoch !== epoch) throw new KafkaError(ErrorCode.INVALID_FETCH_SESSION_EPOCH, `Fetch session ${sessionId} expected epoch ${session.epoch}, got ${epoch}`);
    session.lastUsedMs = now;
    return { session, full: false };
  }

  /**
   * A Fetch answered throttled, with no partitions (a consumer over its quota): a session begun by
   * it is dropped (Kafka creates the session only when it answers the fetch, and answers a
   * throttled full fetch with no session); an incremental session's partitions are all sent again
   * with the next answer (Kafka leaves what was last sent unchanged; that next answer carries only
   * the partitions changed since).
   */
  throttled(sessionId: number, full: boolean): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    if (full) {
      this.sessions.delete(sessionId);
      return;
    }
    for (const sp of session.partitions.values()) {
      sp.sentHighWatermark = -1n;
      sp.sentLastStableOffset = -1n;
      sp.sentLogStartOffset = -1n;
    }
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
      if (!this.sessions.has(id)) return id;
    }
  }

  private evict(now: number): void {
    for (const [id, s] of this.sessions) if (now - s.lastUsedMs > this.evictAfterMs) this.sessions.delete(id);
  }
}
