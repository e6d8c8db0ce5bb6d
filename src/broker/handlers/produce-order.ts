/**
 * The order of a connection's Produce requests (00-produce.ts). Requests on one connection are
 * appended in the order they arrived (Kafka handles one request per connection at a time): while
 * an asynchronous Produce of a connection is pending (large compressed batches validated off the
 * event loop, a topic being auto-created), the connection's later Produce requests wait for it,
 * even small ones, and nothing read after it (a ListOffsets, a Fetch) overtakes its appends.
 * Only the appends are ordered: an acks=all answer waiting for the high watermark does not hold
 * back the next acks=all request's append, nor any other API's request (the connection still
 * sends the answers in request order), so a producer pipelining acks=all requests is not limited
 * to one replication round trip per request. Kafka differs here: it mutes a connection until its
 * request is answered, so a pipelined acks=all request is only read once the previous one is
 * committed. An acks=0/1 request behind waiting acks=all answers is appended only once they
 * settled, as on Kafka's muted connection: a leader replaced meanwhile does not acknowledge it.
 */
import type { ProduceResponseInit } from '../../protocol/generated/messages/produce.js';
import { NO_RESPONSE, type ConnectionInfo } from '../handler.js';

/**
 * A request whose appends are done but whose answer waits for the high watermark (acks=all on a
 * replicated leader). Not a promise on purpose: the connection's append order (PRODUCE_TAIL)
 * follows the appends only, never this wait.
 */
export class AwaitingCommit {
  constructor(readonly answer: Promise<ProduceResponseInit>) {}
}

/** The outcome once the appends ran: the answer, none (acks=0), or an answer still waiting for the high watermark. */
export type Appended = ProduceResponseInit | typeof NO_RESPONSE | AwaitingCommit;

export type ProduceResult = Appended | Promise<Appended>;

/** The connection state key of its last pending Produce (appends). */
export const PRODUCE_TAIL = 'produce.tail';

/** Makes `work` the connection's last pending Produce; later requests chain behind it. */
export function enqueue<T>(conn: ConnectionInfo, work: Promise<T>): Promise<T> {
  const tail = work.then(
    () => undefined,
    () => undefined,
  );
  conn.state.set(PRODUCE_TAIL, tail);
  // Nothing read after this request may overtake its appends (a ListOffsets, a Fetch).
  conn.holdRequestsUntil?.(tail);
  void tail.then(() => {
    if (conn.state.get(PRODUCE_TAIL) === tail) conn.state.delete(PRODUCE_TAIL);
  });
  return work;
}

/** The connection state key of its acks=all answers still waiting for the high watermark. */
export const COMMIT_TAIL = 'produce.commit-tail';

/**
 * The answer of appended partitions, once committed when they wait for the high watermark; such
 * a wait becomes part of the connection's pending commits (COMMIT_TAIL). A request that waits
 * calls `requestDone` first: its appends wrote the bytes and keep no view of them, so its frame
 * goes back to the pool now rather than when the followers have the records (a pipelining
 * producer would otherwise hold a ~1 MB frame per waiting request, beyond what the pool keeps:
 * fresh buffers, page faults). Kafka does the same for its memory: a Produce drops its records
 * once appended, so a request parked until the followers have them holds none.
 */
export function answerOf(conn: ConnectionInfo, a: Appended, requestDone?: () => void): ProduceResponseInit | typeof NO_RESPONSE | Promise<ProduceResponseInit> {
  if (!(a instanceof AwaitingCommit)) return a;
  requestDone?.();
  const prev = conn.state.get(COMMIT_TAIL) as Promise<void> | undefined;
  const settled = a.answer.then(
    () => undefined,
    () => undefined,
  );
  const tail = prev === undefined ? settled : Promise.all([prev, settled]).then(() => undefined);
  conn.state.set(COMMIT_TAIL, tail);
  void tail.then(() => {
    if (conn.state.get(COMMIT_TAIL) === tail) conn.state.delete(COMMIT_TAIL);
  });
  return a.answer;
}
