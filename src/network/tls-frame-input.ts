/**
 * A TLS connection's decrypted bytes read into its FrameReader (see tls-user-buffer.ts for the
 * mechanism): each decrypted chunk lands straight in the reader's target (the staging buffer or
 * a large frame's own buffer), as plaintext connections read, with no Buffer of its own.
 *
 * While the reader cannot take bytes (it waits for request memory: isBlocked) or earlier bytes
 * still wait to be fed (CopiedInput), the chunks TLSWrap still decrypts after the socket was
 * paused land in a landing buffer of the connection and are copied into the CopiedInput, which
 * feeds them to the reader once it can take them, in order; the connection keeps the socket
 * paused meanwhile (`hold`). The reader's target only moves outside a read callback while bytes
 * wait in the CopiedInput, i.e. while TLSWrap has been given the landing buffer, so TLSWrap never
 * writes into a region of the reader that was handed out or moved.
 * adoptTlsFrameSocket sets this up for an accepted TLSSocket; on a Node without the user-buffer
 * mode (readTlsInto refuses) Node decrypts into buffers of its own and each 'data' chunk is copied
 * into the reader through the same CopiedInput.
 * A read that leaves a request frame incomplete gets its TCP ACK at once (prompt-ack.ts: a client
 * with Nagle's algorithm on that writes a request as several TLS records would otherwise wait for
 * the kernel's delayed ACK before sending the last one).
 */
import type { TLSSocket } from 'node:tls';
import { CopiedInput } from './copied-input.js';
import type { FrameReader } from './frame-reader.js';
import { promptAcker } from './prompt-ack.js';
import { readTlsInto, type TlsReadTarget } from './tls-user-buffer.js';

/** TLSWrap decrypts at most this much per SSL_read: one landing callback per chunk. */
const LANDING_BYTES = 16 * 1024;

export interface TlsFrameInputHooks {
  /** The connection is closed: bytes are dropped. */
  closed(): boolean;
  /** Bytes wait in the CopiedInput: stop reading the socket until they are fed. */
  hold(): void;
  /** Bytes were fed to the reader (prompt-ack.ts: a frame left incomplete gets its ACK at once). */
  fed?(): void;
}

export class TlsFrameInput implements TlsReadTarget {
  private landing: Buffer | null = null;

  constructor(
    private readonly reader: FrameReader,
    private readonly copied: CopiedInput,
    private readonly hooks: TlsFrameInputHooks,
  ) {}

  next(): Buffer {
    if (this.hooks.closed() || this.copied.hasPending || this.reader.isBlocked) {
      if (this.landing === null) this.landing = Buffer.allocUnsafeSlow(LANDING_BYTES);
      return this.landing;
    }
    return this.reader.target();
  }

  received(n: number, buf: Buffer): void {
    if (this.hooks.closed()) return;
    if (buf !== this.landing) {
      this.reader.received(n);
      this.hooks.fed?.();
      return;
    }
    // A copy: the landing buffer takes the next chunk.
    this.copied.push(Buffer.from(buf.subarray(0, n)));
    if (this.copied.hasPending) this.hooks.hold();
  }
}

/**
 * Reads an accepted TLS connection's decrypted bytes into `reader` (see the module comment) and
 * returns the CopiedInput that keeps the bytes the reader cannot take yet; the socket is paused
 * while it has some. `closed`: the connection is closed (bytes are dropped).
 */
export function adoptTlsFrameSocket(socket: TLSSocket, reader: FrameReader, closed: () => boolean): CopiedInput {
  const copied = new CopiedInput(reader);
  const fed = promptAcker(socket, () => reader.partialFrame && !copied.hasPending, closed);
  const input = new TlsFrameInput(reader, copied, { closed, hold: () => socket.pause(), fed });
  if (!readTlsInto(socket, input)) {
    socket.on('data', (chunk: Buffer) => {
      if (closed()) return;
      copied.push(chunk);
      if (copied.hasPending) socket.pause();
      else fed();
    });
  }
  return copied;
}
