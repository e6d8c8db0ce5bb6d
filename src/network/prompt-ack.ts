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
import type { Socket } from 'node:net';
import { socketAddon, socketFd } from './socket-addon.js';

type QuickAckFunction = (socketFd: number) => number;

const quickAck = typeof socketAddon?.quickAck === 'function' ? (socketAddon.quickAck as QuickAckFunction) : null;

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
    const fd = socketFd(socket);
    // A failed setsockopt leaves the ACK to the kernel, as without the addon.
    if (fd >= 0) ack(fd);
  };
  return () => {
    if (scheduled || !incomplete()) return;
    scheduled = true;
    setImmediate(check);
  };
}
