/**
 * ApiVersions (key 18), v0-4.
 * Version notes: v3+ is flexible and carries client software name/version (accepted, unused).
 * An ApiVersions request of a version above 4 is answered in v0 form with UNSUPPORTED_VERSION and
 * the full list, so the client can retry with a version it shares with us.
 * Not implemented: supported/finalized features (empty lists, epoch -1).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { Writer } from '../../protocol/primitives/writer.js';
import {
  decodeApiVersionsRequest,
  encodeApiVersionsResponse,
  type ApiVersionsRequest,
  type ApiVersionsResponseInit,
} from '../../protocol/generated/messages/api-versions.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function apiList(handlers: Iterable<ApiHandler<unknown, unknown>>): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...handlers]
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

/** What ApiVersions answers from: the handlers registered beside it. */
export interface ApiVersionsDeps {
  readonly handlers: () => Iterable<ApiHandler<unknown, unknown>>;
}

export function apiVersionsHandler(deps: ApiVersionsDeps): ApiHandler<ApiVersionsRequest, ApiVersionsResponseInit> {
  return defineHandler<ApiVersionsRequest, ApiVersionsResponseInit>({
    apiKey: 18,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 4,
    decode: decodeApiVersionsRequest,
    encode: encodeApiVersionsResponse,
    handle(ctx) {
      return {
        errorCode: ErrorCode.NONE,
        apiKeys: apiList(deps.handlers()),
        throttleTimeMs: 0,
        finalizedFeaturesEpoch: -1n,
      };
    },
    errorResponse(_req, errorCode) {
      return { errorCode, apiKeys: [] };
    },
  });
}

/** The v0-shaped UNSUPPORTED_VERSION answer to an ApiVersions request of an unknown version. */
export function encodeApiVersionsUnsupported(correlationId: number, handlers: Iterable<ApiHandler<unknown, unknown>>): Buffer[] {
  const w = new Writer(1024);
  w.writeInt32(correlationId);
  encodeApiVersionsResponse(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiList(handlers) }, 0);
  return w.toChunks();
}
