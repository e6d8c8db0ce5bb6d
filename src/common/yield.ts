/**
 * Cooperative slicing for long request loops. Node serves every connection from one thread, so a
 * handler that walks a million names in one go stalls all other clients (Kafka runs handlers on
 * a pool of request threads and has no such problem). A handler with more than a slice of work
 * processes it in slices and yields between them, so other connections' requests run meanwhile.
 */
import { setImmediate as immediate } from 'node:timers/promises';

/** Elements a long loop handles between two yields (each element costs a few microseconds). */
export const SLICE_ELEMENTS = 2000;

/** Resolves after pending I/O callbacks (other connections' reads) have run. */
export function yieldToEventLoop(): Promise<void> {
  return immediate();
}
