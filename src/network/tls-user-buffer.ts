/**
 * Decrypted TLS bytes read straight into buffers of our choosing (a server-side TLSSocket's
 * user-buffer mode), instead of one new Buffer per decrypted chunk through the stream machinery.
 *
 * Node's `net.Socket` has a user-buffer read mode (`onread: { buffer, callback }`): the handle's
 * reads land in the buffer `buffer()` returns and `callback(n, buf)` is called, with no Buffer,
 * ArrayBuffer or 'data' event per read. Plaintext connections use it (frame-reader.ts). Node's TLS
 * handle (TLSWrap) is a stream like the TCP one and decrypts each chunk (at most 16 KiB) into
 * whatever buffer its reader hands it, so the same mode works for it; but `new tls.TLSSocket(socket,
 * …)` ignores `onread` when it wraps an accepted socket (nodejs/node#63956), and the TLS state
 * (renegotiation limits, TLS errors, certificates) lives in the TLSSocket object, so the handle
 * cannot be moved into a plain Socket as plaintext handles are. So the mode is switched on in the
 * TLSSocket itself, as net.Socket's constructor would: the three private fields net keeps the
 * mode in are set and the handle is given the first buffer (`useUserBuffer`). The fields' symbols
 * are found on a probe socket made with `onread` (by description and value), so a Node whose net
 * differs (no such fields, or a handle without useUserBuffer) is detected and the caller keeps the
 * stream ('data' events) path. Checked against Node 20, 22 and 24 (lib/net.js,
 * lib/internal/stream_base_commons.js, src/stream_base.cc, src/crypto/crypto_tls.cc).
 *
 * What the caller must know about TLSWrap in this mode:
 * - The buffer must never be empty: TLSWrap copies a decrypted chunk into it in pieces of at most
 *   its length and would loop forever on an empty one.
 * - Pausing (readStop) stops reading from the TCP socket, but the records already read are still
 *   decrypted and delivered, in the same turn: the callback must take bytes while paused.
 * - The handle keeps writing into the last buffer given to it until `buffer()` is called again
 *   (after each callback): the region handed out must stay reserved for it until then.
 * - End of stream, TLS errors, renegotiation and key updates go through TLSSocket as before.
 */
import { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** net's private fields for the user-buffer mode: the current buffer, the buffer source, the callback. */
interface UserBufferKeys {
  buffer: symbol;
  gen: symbol;
  cb: symbol;
}

let keys: UserBufferKeys | null | undefined;

/** The symbols of net.Socket's user-buffer fields, or null when this Node keeps the mode otherwise. */
function userBufferKeys(): UserBufferKeys | null {
  if (keys !== undefined) return keys;
  keys = null;
  try {
    const probeBuffer = Buffer.alloc(1);
    const gen = (): Buffer => probeBuffer;
    const cb = (): boolean => true;
    const probe = new Socket({ onread: { buffer: gen, callback: cb } });
    const fields = probe as unknown as Record<symbol, unknown>;
    const find = (description: string, value: unknown): symbol | undefined =>
      Object.getOwnPropertySymbols(probe).find((s) => s.description === description && fields[s] === value);
    const buffer = find('kBuffer', true);
    const g = find('kBufferGen', gen);
    const c = find('kBufferCb', cb);
    probe.destroy();
    if (buffer !== undefined && g !== undefined && c !== undefined) keys = { buffer, gen: g, cb: c };
  } catch {
    keys = null;
  }
  return keys;
}

interface UserBufferHandle {
  useUserBuffer(buf: Uint8Array): void;
}

/** Where a TLS connection's decrypted bytes go. */
export interface TlsReadTarget {
  /** The buffer the next decrypted bytes go to (never empty). */
  next(): Buffer;
  /** `n` decrypted bytes landed at the start of `buf` (the buffer next() last returned). */
  received(n: number, buf: Buffer): void;
}

/** Whether this Node lets TLS sockets read into user buffers (readTlsInto can work). */
export function tlsUserBufferSupported(): boolean {
  return userBufferKeys() !== null;
}

/**
 * Switches a server TLSSocket (handshake done, not read from yet: no 'data' listener, nothing
 * buffered) to user-buffer reads into `target`. False (nothing changed) when this Node does not
 * support it or the socket is not in a state to switch; the caller then reads 'data' events.
 */
export function readTlsInto(socket: TLSSocket, target: TlsReadTarget): boolean {
  const k = userBufferKeys();
  const handle = (socket as unknown as { _handle: Partial<UserBufferHandle> | null })._handle;
  if (k === null || handle === null || typeof handle.useUserBuffer !== 'function' || socket.destroyed) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  // Already in some user-buffer mode, or decrypted bytes already in the stream's buffer.
  if (fields[k.buffer] !== null || fields[k.gen] !== null || socket.readableLength > 0 || socket.listenerCount('data') > 0) return false;
  const first = target.next();
  fields[k.buffer] = first;
  fields[k.gen] = (): Buffer => target.next();
  fields[k.cb] = (n: number, buf: Buffer): boolean => {
    target.received(n, buf);
    return true;
  };
  handle.useUserBuffer(first);
  // Reading normally goes on from the handshake (initRead); started here if the stream had
  // stopped it (as net.Socket's resume does in this mode, without making the stream flow).
  const h = handle as { reading?: boolean; readStart?: () => number };
  if (h.reading !== true && typeof h.readStart === 'function') {
    h.reading = true;
    const err = h.readStart();
    if (err !== 0) socket.destroy(new Error(`TLS socket read start failed (${err})`));
  }
  return true;
}
