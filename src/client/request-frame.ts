/**
 * The client side of Kafka's framing, with the generated codecs: a request frame (size prefix,
 * request header, body) and the decoding of an answer frame (response header, body); the header
 * versions are protocol/header.ts's.
 * Kafka's rule: the response header is v1 (tagged fields) for a flexible version, except for
 * ApiVersions, whose answer always has header v0 (protocol/header.ts's responseHeaderVersion).
 * Used by ProtocolClient (protocol-client.ts) and by tests that write hand-made frames.
 */
import { apiCodecs, type ApiCodec } from '../protocol/generated/registry.js';
import { readResponseHeader, responseHeaderVersion, writeRequestHeader } from '../protocol/header.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';

/** The generated codec of `apiKey` (throws for an unknown key). */
export function codecOf(apiKey: number): ApiCodec {
  const codec = apiCodecs.get(apiKey);
  if (!codec) throw new Error(`no codec for API key ${apiKey}`);
  return codec;
}

/**
 * Encodes a request frame, size prefix included, as a list of chunks (large fields such as record
 * batches by reference, not copied). `Buffer.concat` them for one buffer.
 */
export function encodeRequestFrame(apiKey: number, version: number, body: unknown, correlationId: number, clientId: string | null): Buffer[] {
  const codec = codecOf(apiKey);
  const w = new Writer(256);
  w.writeInt32(0);
  writeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId });
  codec.encodeRequest(w, body, version);
  const chunks = w.toChunks();
  // The first chunk holds at least the 4-byte prefix (the writer starts with room for it).
  (chunks[0] as Buffer).writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** Decodes an answer frame (payload after the size prefix: response header, then body). */
export function decodeResponseFrame<T>(apiKey: number, version: number, frame: Buffer): T {
  const codec = codecOf(apiKey);
  const r = new Reader(frame);
  readResponseHeader(r, responseHeaderVersion(apiKey, version));
  return codec.decodeResponse(r, version) as T;
}
