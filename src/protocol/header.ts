/**
 * Request / response headers.
 *
 * Request header v0: apiKey, apiVersion, correlationId (only ControlledShutdown v0).
 * Request header v1: + clientId (nullable string, always with an int16 length, never compact).
 * Request header v2: + tagged fields (flexible API versions).
 * Response header v0: correlationId. v1: + tagged fields (flexible API versions, except ApiVersions
 * whose responses always use v0 so that clients can parse them before knowing the broker's versions).
 */
import type { Reader } from './primitives/reader.js';
import type { Writer } from './primitives/writer.js';
import { ApiKey } from './generated/api-keys.js';
import { apiCodecs } from './generated/registry.js';
import { decodeRequestHeader, encodeRequestHeader } from './generated/messages/request-header.js';
import type { RequestHeader, RequestHeaderInit } from './generated/messages/request-header.js';
import { decodeResponseHeader, encodeResponseHeader } from './generated/messages/response-header.js';
import type { ResponseHeader } from './generated/messages/response-header.js';

export type { RequestHeader, RequestHeaderInit, ResponseHeader };

/** A decoded request header together with the header version it was decoded with. */
export interface ParsedRequestHeader extends RequestHeader {
  headerVersion: number;
}

function flexible(apiKey: number, apiVersion: number): boolean {
  const c = apiCodecs.get(apiKey);
  return c !== undefined && apiVersion >= c.firstFlexibleVersion;
}

/** Request header version (0, 1 or 2) used by the given API key and version. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return flexible(apiKey, apiVersion) ? 2 : 1;
}

/** Response header version (0 or 1) used by the given API key and version. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return flexible(apiKey, apiVersion) ? 1 : 0;
}

/**
 * Reads a request header. The header version is derived from the apiKey/apiVersion found in the
 * first four bytes (unknown API keys are read as header v1).
 */
export function readRequestHeader(r: Reader): ParsedRequestHeader {
  r.ensure(4);
  const apiKey = r.buf.readInt16BE(r.offset);
  const apiVersion = r.buf.readInt16BE(r.offset + 2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const h = decodeRequestHeader(r, headerVersion);
  return { ...h, clientId: headerVersion === 0 ? null : h.clientId, headerVersion };
}

/** Writes a request header; the header version defaults to the one the API key/version uses. */
export function writeRequestHeader(
  w: Writer,
  h: RequestHeaderInit & { requestApiKey: number; requestApiVersion: number; correlationId: number },
  headerVersion: number = requestHeaderVersion(h.requestApiKey, h.requestApiVersion),
): void {
  encodeRequestHeader(w, { ...h, clientId: h.clientId ?? null }, headerVersion);
}

/** Reads a response header of the given version (see responseHeaderVersion). */
export function readResponseHeader(r: Reader, headerVersion: number): ResponseHeader {
  return decodeResponseHeader(r, headerVersion);
}

/** Writes a response header of the given version (see responseHeaderVersion). */
export function writeResponseHeader(w: Writer, correlationId: number, headerVersion: number): void {
  encodeResponseHeader(w, { correlationId }, headerVersion);
}
