/**
 * Share sessions (KIP-932): a share consumer's ShareFetch/ShareAcknowledge requests to one broker
 * form a session keyed by group id and member id, numbered by ShareSessionEpoch.
 *
 * Kafka's rules: epoch 0 opens a new session (a full fetch: the request's partitions are the
 * session's, replacing any previous session of the member; acknowledgements are not allowed
 * with it); a positive epoch is the next request of an existing session (SHARE_SESSION_NOT_FOUND
 * when there is none, INVALID_SHARE_SESSION_EPOCH when it is not the expected one), adding the
 * request's partitions and dropping the forgotten ones; -1 closes the session (its final
 * acknowledgements are applied, nothing is fetched, and the member's acquired records are
 * released). ShareAcknowledge cannot open a session.
 * Samsa's deviation: no session cache limit (`max.share.session.cache.size`) and no eviction.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';

export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;

export interface ShareSession {
  readonly groupId: string;
  readonly memberId: string;
  /** The epoch the next request must carry. */
  nextEpoch: number;
  /** "topicId:partition" of every partition in the session. */
  readonly partitions: Set<string>;
}

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  get size(): number {
    return this.sessions.size;
  }

  /**
   * The session a request with `epoch` belongs to, opened (epoch 0) or advanced; for the final
   * epoch the session is removed and returned. Throws the session errors.
   */
  use(groupId: string, memberId: string, epoch: number, opening: boolean): ShareSession {
    const id = `${groupId}\u0000${memberId}`;
    if (epoch === INITIAL_EPOCH) {
      if (!opening) throw new KafkaError(ErrorCode.INVALID_SHARE_SESSION_EPOCH, 'A ShareAcknowledge cannot open a share session (epoch 0)');
      const s: ShareSession = { groupId, memberId, nextEpoch: 1, partitions: new Set() };
      this.sessions.set(id, s);
      return s;
    }
    const s = this.sessions.get(id);
    if (s === undefined) throw new KafkaError(ErrorCode.SHARE_SESSION_NOT_FOUND, `No share session for member ${memberId} of group ${groupId}`);
    if (epoch === FINAL_EPOCH) {
      this.sessions.delete(id);
      return s;
    }
    if (epoch !== s.nextEpoch) throw new KafkaError(ErrorCode.INVALID_SHARE_SESSION_EPOCH, `Share session epoch ${epoch}, expected ${s.nextEpoch}`);
    s.nextEpoch = s.nextEpoch === 0x7fffffff ? 1 : s.nextEpoch + 1;
    return s;
  }

  clear(): void {
    this.sessions.clear();
  }
}
