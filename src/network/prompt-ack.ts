/**
 * Prompt TCP ACKs for requests that arrive in pieces.
 *
 * Kafka's rule: none (the protocol says nothing about TCP; Kafka's broker, in Java, cannot set
 * TCP_QUICKACK and leaves ACKs to the kernel). Samsa's deviation: when a read leaves a request
 * frame incomplete, the ACK for the bytes read is sent at once instead of being delayed.
 *
 * Why: Linux delays the ACK of a small segment (up to ~40 ms) on a connection in request/response
 * ("pingpong") mode, which every Kafka connection is. A client with Nagle's algorithm on (librdkafka's
 * default socket.nagle.disable=false in the versions we test with) holds a small segment back while an earlier
 * small one is not ACKed. librdkafka over TLS writes a request one buffer segment at a time (one
 * SSL_write, so one TLS record and one TCP segment, each): a request a little larger than its first
 * segment (a 6-partition FetchRequest v11 of 257 bytes with a topic name of 27+ characters) goes as
 * 256 bytes, then 1 byte that waits for the broker's delayed ACK of the first. Every fetch then
 * took ~44 ms and consumers over TLS read ~8x slower (plaintext is written with one sendmsg).
 * So after the reads of one event-loop turn, if a frame is still incomplete (the client may be
 * waiting for an ACK to send the rest), TCP_QUICKACK sends the held ACK now: one setsockopt per
 * turn that ends inside a frame, none when frames end on read boundaries (the common case).
 * Needs the native addon (native/crc32c/zero-copy.c, Linux); without it ACKs stay the kernel's.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

type QuickAckFunction = (socketFd: number) => number;

/** Where the addon is built, relative to this file's compiled location (dist/src/network). */
const ADDON = '../../../native/crc32c/build/Release/samsa_zero_copy.node';

function loadQuickAck(): QuickAckFunction | null {
  if (process.platform !== 'linux') return null;
  try {
    const m = createRequire(import.meta.url)(ADDON) as { supported?: unknown; quickAck?: unknown };
    return m.supported === true && typeof m.quickAck === 'function' ? (m.quickAck as QuickAckFunction) : null;
  } catch {
    return null;
  }
}

const quickAck = loadQuickAck();

/** Whether prompt ACKs are possible in this process (the addon is built and has quickAck). */
export const promptAckAvailable: boolean = quickAck !== null;

/** Counters (for tests and diagnostics): ACKs forced, and failed setsockopt calls. */
export const promptAckStats = { acks: 0, failures: 0 };

/** The TCP descriptor under a socket (a TLSSocket's handle forwards its TCP handle's), or -1. */
function tcpFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * Call `afterRead()` after bytes were fed to the frame reader; once the reads of this event-loop
 * turn are done, if `incomplete()` (a frame is partly read) and the connection is open, the ACK
 * is sent at once.
 */
export function promptAcker(socket: Socket, incomplete: () => boolean, closed: () => boolean): () => void {
  if (quickAck === null) return () => {};
  const ack = quickAck;
  let scheduled = false;
  const check = (): void => {
    scheduled = false;
    if (closed() || socket.destroyed || !incomplete()) return;
    const fd = tcpFd(socket);
    if (fd < 0) return;
    if (ack(fd) === 0) promptAckStats.acks++;
    else promptAckStats.failures++;
  };
  return () => {
    if (scheduled || !incomplete()) return;
    scheduled = true;
    setImmediate(check);
  };
}
