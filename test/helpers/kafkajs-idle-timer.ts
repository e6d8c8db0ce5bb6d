/**
 * kafkajs 2.2.4 (its last release) keeps a timer loop running on every open connection:
 * RequestQueue.scheduleCheckPendingRequests schedules the next check at `throttledUntil - now` even
 * when no request is pending and no throttle is in force. `throttledUntil` starts at -1, so the
 * delay is about -Date.now() ms, which Node turns into 1 ms; each check schedules the next one, so
 * an idle connection wakes the process every millisecond until it is closed (tulios/kafkajs#1704).
 * Node >= 23 also warns about the negative delay, once per process: "TimeoutNegativeWarning:
 * -1796635429594 is a negative number" was printed by every Streams test file in CI
 * (tulios/kafkajs#1751; the upstream fixes are not released).
 *
 * The tests use kafkajs as a real client of the broker, unchanged except for this: the method
 * schedules nothing when there is nothing to check (no request pending, no throttle in force).
 * A request queued later calls it again with the request pending, and a throttle still gets its
 * check when it ends, so kafkajs sends exactly what it sent before. Preloaded into every test
 * process by scripts/run-tests.mjs; a child process that uses kafkajs imports it itself.
 */
import { createRequire } from 'node:module';

interface QueueState {
  pending: unknown[];
  throttledUntil: number;
}
type Schedule = (this: QueueState) => void;

const PATCHED = Symbol.for('samsa.test.kafkajsIdleTimer');

function requestQueuePrototype(): Record<string | symbol, unknown> | null {
  try {
    const mod: unknown = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js');
    const proto: unknown = typeof mod === 'function' ? (mod as { prototype: unknown }).prototype : null;
    return typeof proto === 'object' && proto !== null ? (proto as Record<string | symbol, unknown>) : null;
  } catch {
    return null; // kafkajs is not installed: nothing to patch
  }
}

/** True when kafkajs' RequestQueue is patched (now or by an earlier import). */
export function patchKafkajsIdleTimer(): boolean {
  const proto = requestQueuePrototype();
  if (proto === null) return false;
  if (proto[PATCHED] === true) return true;
  const original = proto['scheduleCheckPendingRequests'];
  if (typeof original !== 'function') return false;
  const schedule = original as Schedule;
  const patched: Schedule = function (this: QueueState) {
    if (this.pending.length === 0 && !(this.throttledUntil > Date.now())) return;
    schedule.call(this);
  };
  proto['scheduleCheckPendingRequests'] = patched;
  proto[PATCHED] = true;
  return true;
}

patchKafkajsIdleTimer();
