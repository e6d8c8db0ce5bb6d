/**
 * Routes request frames to API handlers: parses the request header, gates the version, decodes,
 * runs the handler (mapping thrown errors to the API's error response) and encodes the response.
 * A frame that cannot be parsed, an unknown API key or an unsupported version (other than
 * ApiVersions) closes the connection, as Kafka does.
 */
import { logReadPool } from '../common/buffer-pool.js';
import { ErrorCode } from '../common/error-codes.js';
import { errorCodeOf } from '../common/kafka-error.js';
import { log } from '../common/logger.js';
import type { Connection, DispatchResult, FrameDispatcher } from '../network/connection.js';
import { isFlexible } from '../protocol/generated/flexible-versions.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import type { Broker } from './broker.js';
import { NO_RESPONSE, type ApiHandler, type RequestContext } from './handler.js';
import { allHandlers } from './handlers/index.js';
import { encodeApiVersionsUnsupported } from './handlers/18-api-versions.js';

const API_VERSIONS_KEY = 18;

export class RequestRouter implements FrameDispatcher {
  readonly handlers: ReadonlyMap<number, ApiHandler<unknown, unknown>>;

  constructor(private readonly broker: Broker, handlers: readonly ApiHandler<unknown, unknown>[] = allHandlers) {
    this.handlers = new Map(handlers.map((h) => [h.apiKey, h]));
  }

  /** Responses whose log reads go back to the pool once written (see responseReleasesLogReads). */
  private readonly releasingResponses = new WeakSet<Buffer[]>();

  /** Log reads that a Fetch answer carried (and nothing else keeps) go back to their pool. */
  responseWritten(chunks: Buffer[]): void {
    if (!this.releasingResponses.delete(chunks)) return;
    for (const c of chunks) logReadPool.give(c);
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
    if (flexible) r.readTaggedFields();
    const req = handler.decode(r, apiVersion);
    const ctx: RequestContext = { broker: this.broker, apiKey, apiVersion, correlationId, clientId, connection: conn };
    let out: unknown;
    try {
      out = handler.handle(ctx, req);
    } catch (e) {
      out = this.errorAnswer(handler, req, e, ctx);
    }
    if (out instanceof Promise) {
      return out.then(
        (res: unknown) => this.encode(handler, ctx, res, flexible),
        (e: unknown) => this.encode(handler, ctx, this.errorAnswer(handler, req, e, ctx), flexible),
      );
    }
    return this.encode(handler, ctx, out, flexible);
  }

  private errorAnswer(handler: ApiHandler<unknown, unknown>, req: unknown, e: unknown, ctx: RequestContext): unknown {
    const code = errorCodeOf(e);
    if (code === ErrorCode.UNKNOWN_SERVER_ERROR) log.error(`${handler.name} v${ctx.apiVersion} from ${ctx.clientId ?? '?'} failed`, e);
    return handler.errorResponse(req, code, ctx);
  }

  private encode(handler: ApiHandler<unknown, unknown>, ctx: RequestContext, res: unknown, flexible: boolean): DispatchResult {
    if (res === NO_RESPONSE) return null;
    const w = new Writer(256);
    w.writeInt32(ctx.correlationId);
    // Response header v1 (tagged fields) for flexible versions, except ApiVersions which always uses v0.
    if (flexible && handler.apiKey !== API_VERSIONS_KEY) w.writeUInt8(0);
    handler.encode(w, res, ctx.apiVersion);
    const chunks = w.toChunks();
    if (handler.responseReleasesLogReads === true) this.releasingResponses.add(chunks);
    return chunks;
  }
}
