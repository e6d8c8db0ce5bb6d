/**
 * Routes request frames to API handlers: parses the request header, gates the version, decodes,
 * passes the request through the gate (gate/gate.ts: authenticate → authorize → quota), runs the
 * handler (mapping thrown errors to the API's error response) and encodes the response, with the
 * quota step's throttle time in every response that has the field; a throttled request mutes its
 * connection for that time (Connection.throttle, KIP-219).
 * A frame that cannot be parsed, an unknown API key or an unsupported version (other than
 * ApiVersions) closes the connection, as Kafka does.
 * Large requests do not stall other connections: a frame over LARGE_FRAME_BYTES is decoded by the
 * API's generated sliced decoder, and its response encoded by the sliced encoder, both run in time
 * slices with yields to the event loop between them (see common/yield.ts); work that fits in one
 * slice stays synchronous. A small request's response is encoded sliced too when its handler
 * answered with a promise (it may have sliced long work, e.g. Metadata for all of 100k topics),
 * except Produce and Fetch (hot path; their responses are bounded by the request).
 */
import { ErrorCode } from '../common/error-codes.js';
import { errorCodeOf } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import { runSliced, TimeSlice, whenDone } from '../common/yield.js';
import type { Connection, DispatchResult, FrameDispatcher } from '../network/connection.js';
import { isFlexible } from '../protocol/generated/flexible-versions.js';
import { slicedCodecOf, type SlicedApiCodec } from '../protocol/generated/sliced-codecs.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import type { BufferPool } from '../common/buffer-pool.js';
import type { GateOutcome } from './gate/access-rule.js';
import type { RequestGate } from './gate/gate.js';
import { RESPONSES_WITHOUT_THROTTLE } from './gate/quota.js';
import { NO_RESPONSE, type ApiHandler, type RequestContext } from './handler.js';
import { encodeApiVersionsUnsupported } from './handlers/18-api-versions.js';

const API_VERSIONS_KEY = 18;
const PRODUCE_KEY = 0;
/** Frames larger than this are decoded in slices (smaller ones decode in well under a slice). */
export const LARGE_FRAME_BYTES = 1024 * 1024;
/** Produce and Fetch: for a small request, the response is encoded synchronously (hot path). */
const HOT_PATH_APIS: ReadonlySet<number> = new Set([0, 1]);

type Answer = DispatchResult | Promise<DispatchResult>;

/** Told of every answered request (metrics/request-metrics.ts); null: nothing is measured. */
export interface RequestObserver {
  answered(apiKey: number, apiVersion: number, ms: number): void;
  failed(apiKey: number, errorCode: number): void;
  throttled(apiKey: number, ms: number): void;
  /** The split of an answered request's time (network/frame-dispatcher.ts requestTimed). */
  timed?(apiKey: number, queueMs: number, localMs: number, remoteMs: number, responseQueueMs: number, sendMs: number): void;
}

export class RequestRouter implements FrameDispatcher {
  readonly handlers: ReadonlyMap<number, ApiHandler<unknown, unknown>>;

  /** `logReads`: the pool the log reads of a written Fetch answer go back to; `logger`: the broker's; `observer`: request metrics. */
  constructor(
    handlers: readonly ApiHandler<unknown, unknown>[],
    readonly gate: RequestGate,
    private readonly logReads: Pick<BufferPool, 'give'>,
    private readonly logger: Logger,
    private readonly observer: RequestObserver | null = null,
  ) {
    this.handlers = new Map(handlers.map((h) => [h.apiKey, h]));
    this.requestLog = logger.child('request');
    for (const h of handlers) {
      const codec = slicedCodecOf(h.apiKey);
      if (codec !== null) this.slicedCodecs.set(h.apiKey, codec);
    }
  }

  /**
   * The request log (Kafka's kafka.request.logger): one DEBUG line per answered request with API,
   * version, correlation id, client, connection and time, when the `request` component logs at
   * debug (log.levels=request=debug, or at runtime on the BROKER_LOGGER resource).
   */
  private readonly requestLog: Logger;

  /** Generated sliced codecs by API key (see protocol/primitives/sliced-codec.ts). */
  private readonly slicedCodecs = new Map<number, SlicedApiCodec>();

  /** Responses whose log reads go back to the pool once written (see responseReleasesLogReads). */
  private readonly releasingResponses = new WeakSet<Buffer[]>();

  /** Log reads that a Fetch answer carried (and nothing else keeps) go back to their pool. */
  responseWritten(chunks: Buffer[]): void {
    if (!this.releasingResponses.delete(chunks)) return;
    const pool = this.logReads;
    for (let i = 0; i < chunks.length; i++) pool.give(chunks[i] as Buffer);
  }

  get timesRequests(): boolean {
    return this.observer?.timed !== undefined;
  }

  requestTimed(apiKey: number, queueMs: number, localMs: number, remoteMs: number, responseQueueMs: number, sendMs: number): void {
    this.observer?.timed?.(apiKey, queueMs, localMs, remoteMs, responseQueueMs, sendMs);
  }

  frameFreeAfterReturn(apiKey: number): boolean {
    return this.handlers.get(apiKey)?.requestFreeAfterReturn === true;
  }

  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult> {
    if (frame.length < 8) throw new Error(`request frame of ${frame.length} bytes is too short for a header`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.handlers.get(apiKey);
    if (!handler) throw new Error(`unknown API key ${apiKey}`);
    if (apiVersion > handler.maxVersion || apiVersion < (handler.oldestDecodable ?? 0)) {
      if (apiKey === API_VERSIONS_KEY) return encodeApiVersionsUnsupported(correlationId, this.handlers.values());
      throw new Error(`unsupported version ${apiVersion} of API ${handler.name}`);
    }
    const flexible = isFlexible(apiKey, apiVersion);
    const r = new Reader(frame, 8);
    const clientId = r.readNullableString();
    conn.noteClientId?.(clientId);
    if (flexible) r.readTaggedFields();
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      session: this.gate.session(conn),
      receivedAtNs: process.hrtime.bigint(),
      connection: conn,
      // Produce only (requestFreeAfterReturn): its frame goes back to the pool after the appends.
      requestDone: handler.requestFreeAfterReturn === true ? () => conn.releaseFrame(frame) : undefined,
    };
    const codec = this.slicedCodecs.get(apiKey);
    if (codec !== undefined && frame.length > LARGE_FRAME_BYTES) {
      const slice = new TimeSlice();
      const req = runSliced(codec.decodeRequest(r, apiVersion, slice), slice);
      const answer = whenDone(req, (q) => this.admit(handler, ctx, conn, q, frame.length, flexible, codec, true));
      // A Produce decoded in slices: nothing read after it may run before its handler (which
      // holds the connection further while its appends are asynchronous).
      if (apiKey === PRODUCE_KEY && req instanceof Promise) conn.holdRequestsUntil(req);
      return answer;
    }
    const req = handler.decode(r, apiVersion);
    return this.admit(handler, ctx, conn, req, frame.length, flexible, HOT_PATH_APIS.has(apiKey) ? undefined : codec, false);
  }

  /**
   * The gate after decoding: authorize (the session is in ctx), then the quota, then the handler.
   * A throttled request mutes its connection (KIP-219) from now, before the handler runs; its own
   * answer still goes out at once. APIs whose response has no throttle field are not muted.
   */
  private admit(handler: ApiHandler<unknown, unknown>, ctx: RequestContext, conn: Connection, req: unknown, bytes: number, flexible: boolean, codec: SlicedApiCodec | undefined, large: boolean): Answer {
    const outcome = this.gate.authorize(ctx, req);
    const throttleTimeMs = this.gate.throttleTimeMs(ctx, bytes, req);
    if (throttleTimeMs > 0) this.observer?.throttled(ctx.apiKey, throttleTimeMs);
    if (throttleTimeMs > 0 && !RESPONSES_WITHOUT_THROTTLE.has(ctx.apiKey)) conn.throttle(throttleTimeMs);
    return this.handle(handler, ctx, conn, req, outcome, throttleTimeMs, flexible, codec, large);
  }

  /**
   * Runs the handler and encodes its answer: with `codec`'s sliced encoder for a large request
   * (`large`) or a handler that answered with a promise (it may have sliced long work); an answer
   * computed synchronously (bounded work, so a bounded response) is encoded synchronously.
   */
  private handle(
    handler: ApiHandler<unknown, unknown>,
    ctx: RequestContext,
    conn: Connection,
    req: unknown,
    outcome: GateOutcome<unknown, unknown> | undefined,
    throttleTimeMs: number,
    flexible: boolean,
    codec: SlicedApiCodec | undefined,
    large: boolean,
  ): Answer {
    let out: unknown;
    // A filtered request goes on without its denied resources (their answers are added by complete).
    const work = outcome?.kind === 'filtered' ? outcome.request : req;
    if (outcome?.kind === 'deny') {
      this.observer?.failed(ctx.apiKey, outcome.errorCode);
      out = handler.errorResponse(req, outcome.errorCode, ctx);
    } else if (outcome?.kind === 'answer') {
      out = outcome.response;
    } else {
      try {
        out = handler.handle(ctx, work);
      } catch (e) {
        out = this.errorAnswer(handler, work, e, ctx);
      }
    }
    const complete = outcome?.kind === 'filtered' ? outcome.complete : undefined;
    // The quota's second step (quota.ts afterResponse) needs the synchronous handling time: only measured when it has work.
    const quotas = this.gate.quotas;
    const after = quotas.afterResponse !== undefined && quotas.enabled?.() !== false ? Number(process.hrtime.bigint() - ctx.receivedAtNs) : -1;
    if (out instanceof Promise) {
      return out.then(
        (res: unknown) => this.encode(handler, ctx, this.finished(res, ctx, conn, req, complete, throttleTimeMs, after), flexible, codec),
        (e: unknown) => {
          const res = this.errorAnswer(handler, work, e, ctx);
          return this.encode(handler, ctx, this.finished(res, ctx, conn, req, complete, throttleTimeMs, after), flexible, codec);
        },
      );
    }
    // The synchronous answer (every Produce and most Fetches): no closure per request.
    return this.encode(handler, ctx, this.finished(out, ctx, conn, req, complete, throttleTimeMs, after), flexible, large ? codec : undefined);
  }

  /** The answer after the quota's second step (`after`: the synchronous handling time in ns, -1: no second step). */
  private finished(res: unknown, ctx: RequestContext, conn: Connection, req: unknown, complete: ((res: unknown) => unknown) | undefined, throttleTimeMs: number, after: number): unknown {
    if (after < 0 || res === NO_RESPONSE) return this.finish(res, complete, throttleTimeMs, ctx);
    const t = this.throttleAfter(ctx, conn, req, res, throttleTimeMs, after);
    // A throttled answer may be replaced (a consumer's Fetch: no records, quota.ts throttledResponse).
    const quotas = this.gate.quotas;
    const sent = t > 0 && quotas.throttledResponse !== undefined ? quotas.throttledResponse(ctx, req, res) : res;
    return this.finish(sent, complete, t, ctx);
  }

  /** The quota's second step: the larger throttle wins, and mutes the connection when it is the answer's. */
  private throttleAfter(ctx: RequestContext, conn: Connection, req: unknown, res: unknown, before: number, handlerNs: number): number {
    const t = this.gate.quotas.afterResponse?.(ctx, req, res, handlerNs) ?? 0;
    if (t <= before) return before;
    if (!RESPONSES_WITHOUT_THROTTLE.has(ctx.apiKey)) conn.throttle(t);
    return t;
  }

  /**
   * The answer as sent: the denied resources' entries added (a filtered request) and the quota
   * step's throttle time set, the one source of `throttleTimeMs` (a handler's own value is replaced).
   */
  private finish(res: unknown, complete: ((res: unknown) => unknown) | undefined, throttleTimeMs: number, ctx: RequestContext): unknown {
    if (res === NO_RESPONSE || res === null || typeof res !== 'object') return res;
    const out = complete === undefined ? res : complete(res);
    if (RESPONSES_WITHOUT_THROTTLE.has(ctx.apiKey)) return out;
    // Handlers still write a placeholder 0: the object is copied only when the quota says otherwise.
    if ((out as { throttleTimeMs?: unknown }).throttleTimeMs === throttleTimeMs) return out;
    return { ...(out as object), throttleTimeMs };
  }

  private errorAnswer(handler: ApiHandler<unknown, unknown>, req: unknown, e: unknown, ctx: RequestContext): unknown {
    const code = errorCodeOf(e);
    this.observer?.failed(ctx.apiKey, code);
    if (code === ErrorCode.UNKNOWN_SERVER_ERROR) this.logger.error(`${handler.name} v${ctx.apiVersion} from ${ctx.clientId ?? '?'} failed`, e, ctx.connection.logFields);
    return handler.errorResponse(req, code, ctx);
  }

  private encode(handler: ApiHandler<unknown, unknown>, ctx: RequestContext, res: unknown, flexible: boolean, codec: SlicedApiCodec | undefined): Answer {
    const observer = this.observer;
    if (observer !== null) observer.answered(ctx.apiKey, ctx.apiVersion, Number(process.hrtime.bigint() - ctx.receivedAtNs) / 1e6);
    if (this.requestLog.enabled('debug')) {
      const c = ctx.connection;
      const ms = Number(process.hrtime.bigint() - ctx.receivedAtNs) / 1e6;
      this.requestLog.debug(`${handler.name} v${ctx.apiVersion} correlation ${ctx.correlationId} from ${ctx.clientId ?? '-'} (${ctx.session.principal.principalType}:${ctx.session.principal.name}) on connection ${c.id} ${c.remoteAddress}:${c.remotePort} [${c.listenerName}] answered in ${ms.toFixed(3)} ms`, {
        ...c.logFields,
        api: handler.name,
        apiVersion: ctx.apiVersion,
        ms,
      });
    }
    if (res === NO_RESPONSE) return null;
    const w = new Writer(256);
    w.writeInt32(ctx.correlationId);
    // Response header v1 (tagged fields) for flexible versions, except ApiVersions which always uses v0.
    if (flexible && handler.apiKey !== API_VERSIONS_KEY) w.writeUInt8(0);
    if (codec === undefined) {
      handler.encode(w, res, ctx.apiVersion);
      return this.chunks(handler, w);
    }
    const slice = new TimeSlice();
    return whenDone(runSliced(codec.encodeResponse(w, res, ctx.apiVersion, slice), slice), () => this.chunks(handler, w));
  }

  private chunks(handler: ApiHandler<unknown, unknown>, w: Writer): Buffer[] {
    const chunks = w.toChunks();
    if (handler.responseReleasesLogReads === true) this.releasingResponses.add(chunks);
    return chunks;
  }
}
