/**
 * Lazy log reads for zero-copy Fetch answers (docs/zero-copy.md). Kafka answers a Fetch with
 * FileRecords slices that the network layer hands to sendfile(2), so the broker never reads the
 * bytes it serves. Samsa keeps its answers as lists of Buffers (the encoders and the connection
 * only know Buffers); a read made for zero copy returns a *placeholder*: a Buffer of the right
 * length whose bytes are NOT read, registered here with the file region it stands for. The
 * connection (src/network/zero-copy-send.ts) sends a placeholder's region from the file with
 * sendfile, or, where it cannot (TLS, bytes of an earlier answer still queued, no addon), fills it
 * first with materialize() and writes it as any Buffer.
 *
 * Rules: only the Fetch handler asks for placeholders (FetchDeps.zeroCopy), only for answers whose
 * record bytes nothing else looks at (no down-conversion, no read_committed scan); anything that
 * needs a placeholder's bytes calls materialize() first. A region is checked at send time: a log
 * truncated or closed since the read (its bytes may have changed) fails the send, and the
 * connection is closed, as Kafka closes one whose FileRecords shrank during a send.
 */

/** Where a placeholder's bytes are: `length` bytes of a file at `position`. */
export interface FileRegion {
  readonly position: number;
  /**
   * A descriptor to read the region from now (the segment's, reopened if the fd cache closed it).
   * Throws when the bytes can no longer be had (the log truncated or closed since the read, the
   * file deleted).
   */
  fd(): number;
}

/**
 * Smaller reads are read as before: a placeholder must be far above the size up to which the
 * encoders copy a buffer into their own (Writer's COPY_THRESHOLD, 128 bytes) and above the size up
 * to which the connection copies a whole answer into one buffer (16 KiB), and sendfile pays for
 * large regions only.
 */
export const MIN_REGION_BYTES = 32 * 1024;

const regions = new WeakMap<Buffer, FileRegion>();

/** Registers `placeholder` (of the region's length, contents unread) as standing for `region`. */
export function registerFileRegion(placeholder: Buffer, region: FileRegion): void {
  regions.set(placeholder, region);
}

/** The region a placeholder stands for (undefined: an ordinary Buffer). */
export function fileRegionOf(buf: Buffer): FileRegion | undefined {
  return regions.get(buf);
}

/** Forgets a placeholder (its bytes were filled or sent; a pooled buffer may be taken again). */
export function forgetFileRegion(buf: Buffer): void {
  regions.delete(buf);
}

/** Whether any of `chunks` is a placeholder. */
export function hasFileRegion(chunks: readonly Buffer[]): boolean {
  for (const c of chunks) if (regions.has(c)) return true;
  return false;
}
