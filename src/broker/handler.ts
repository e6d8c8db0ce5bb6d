/**
 * What every API handler module provides: its key and version range, the generated codecs it
 * uses, the work itself, and how to answer with an error code when the work throws.
 */
import type { Reader } from '../protocol/primitives/reader.js';
import type { Writer } from '../protocol/primitives/writer.js';
import type { KafkaPrincipal, SecurityProtocol, Session } from './gate/session.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  /** Context fields for log lines about this connection (absent on connections made up by tests). */
  readonly logFields?: Readonly<Record<string, string | number>>;
  /** Notes the client id of a request read on it (its log fields carry it). */
  noteClientId?(clientId: string | null): void;
  /** State a handler may keep per connection (e.g. SASL), keyed by the handler. */
  readonly state: Map<string, unknown>;
  /**
   * Dispatches none of the connection's later requests until `settled` settles (a Produce whose
   * appends finish asynchronously: nothing pipelined behind it may overtake them). Absent on
   * connections made up by tests.
   */
  holdRequestsUntil?(settled: Promise<unknown>): void;
  /** The listener's security protocol (absent: PLAINTEXT). */
  readonly securityProtocol?: SecurityProtocol;
  /** Who the connection authenticated as; null: not yet (SASL); absent: anonymous. */
  readonly principal?: KafkaPrincipal | null;
}

/**
 * What a handler knows about the request beside its body. `session` is the connection's identity
 * from the gate's authenticator (single node: `User:ANONYMOUS` over PLAINTEXT).
 * The broker's services are not here: a handler that needs some is built by a factory taking
 * them, narrowed to what it uses (its `...Deps` interface; handlers/index.ts `buildHandlers`).
 */
export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly session: Session;
  /** When the router took the frame (process.hrtime.bigint(), monotonic nanoseconds). */
  readonly receivedAtNs: bigint;
  /** The connection itself: per-connection handler state (Produce's ordering queue). */
  readonly connection: ConnectionInfo;
  /**
   * Set for handlers with requestFreeAfterReturn: the handler may call it once it keeps no view of
   * its request's bytes, before its answer is ready (Produce after its appends, while an acks=all
   * answer waits for the followers), and the frame's buffer is reused from then on. Calling it is
   * optional (the connection gives the frame back when the answer is ready) and idempotent.
   */
  readonly requestDone?: (() => void) | undefined;
}

/** Returned by a handler that must not answer (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');

export interface ApiHandler<Req, Res> {
  readonly apiKey: number;
  readonly name: string;
  /** Lowest version advertised (Kafka 4.0's minimum). Older versions the codec knows are still served. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Lowest version the codec can decode (defaults to 0). */
  readonly oldestDecodable?: number;
  decode(r: Reader, version: number): Req;
  encode(w: Writer, res: Res, version: number): void;
  handle(ctx: RequestContext, req: Req): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
  /**
   * Set when handle() keeps no reference to the request (or its bytes) once it has returned a
   * result that is not a promise: the connection then reuses the frame's buffer for the next
   * request. Produce sets it (and gives its frame back earlier, through ctx.requestDone, when its
   * answer waits for the followers); a handler that stores views of its request must not.
   */
  readonly requestFreeAfterReturn?: boolean;
  /**
   * Set when the response carries log reads made for it alone (Fetch): once the response has been
   * written they go back to the log-read pool. Responses of other handlers may carry views that
   * something else keeps (e.g. group metadata a coordinator loaded from its log) and never do.
   */
  readonly responseReleasesLogReads?: boolean;
  /** The whole-request error answer (Kafka's getErrorResponse). */
  errorResponse(req: Req, errorCode: number, ctx: RequestContext): Res;
}

/** Identity helper that keeps the Req/Res types of a handler literal. */
export function defineHandler<Req, Res>(h: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return h;
}
