/**
 * Old-generation headroom for a small broker heap: keeps V8 from running a full (mark-compact)
 * GC every few seconds under steady load when almost nothing is retained.
 *
 * Kafka's rule: none (the JVM's collectors are tuned by flags such as -XX:MaxGCPauseMillis).
 * Samsa's measurement (bench latency, Node 24, 100 B records at 50,000/s): the live heap is about
 * 20 MB and a mark-compact frees almost nothing (20.0 → 19.7 MB), yet one ran every 1–3 s, each
 * finalization pausing the event loop 8–58 ms (the latency tail). V8 sizes the old generation's
 * limit as the live size times a growing factor (about 1.75 here: 35 MB), and starts incremental
 * marking once the room left under that limit (15 MB) is less than about the young generation's
 * capacity (16 MB semi-spaces under this load): with a small live heap the room is always that
 * small, so marking restarts soon after each full GC. Giving the old generation a fixed headroom
 * above the live size (V8's --heap-growing-percent, which it reads whenever it recomputes the
 * limit after a full GC) removes the loop: the next full GC comes only after that much was
 * actually promoted. Measured: 20 mark-compacts in 20 s at 50,000/s before, none in steady state
 * after, the same number of scavenges.
 *
 * Deviations and limits: the setting is process-wide (a V8 flag), so only `samsa start` (which
 * owns its process) installs it, not a broker embedded with startBroker(); the factor is only
 * raised while the live heap is small (below LARGE_HEAP_BYTES): larger heaps keep V8's own
 * heuristics (the flag is reset to 0, "not set"). Memory: the heap may grow up to the headroom
 * above the live size under load before a full GC (the idle heap is unchanged).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const MB = 1024 * 1024;
/** Above this live size V8's own growing factor applies (ours would be below 2 anyway). */
const LARGE_HEAP_BYTES = 256 * MB;
/** V8's own factors go up to 4 (300 %); ours stays within that range's end plus one. */
const MAX_PERCENT = 400;
/** Below this the headroom is no larger than V8's usual factors give: leave V8's heuristics alone. */
const MIN_PERCENT = 100;

/**
 * The --heap-growing-percent that leaves `headroomBytes` above `liveBytes` (the limit is
 * live × (1 + percent/100)), or 0 (V8's own heuristics) for a large heap or no headroom asked.
 */
export function growingPercentFor(liveBytes: number, headroomBytes: number): number {
  if (headroomBytes <= 0 || liveBytes >= LARGE_HEAP_BYTES) return 0;
  const percent = Math.ceil((100 * headroomBytes) / Math.max(liveBytes, MB));
  if (percent <= MIN_PERCENT) return 0;
  return Math.min(percent, MAX_PERCENT);
}

/** Bytes in use outside the young generation (what a full GC left, plus promotions since). */
function oldGenerationUsed(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (!s.space_name.startsWith('new_')) used += s.space_used_size;
  return used;
}

export interface GcHeadroom {
  /** The --heap-growing-percent set last (0: V8's own). */
  readonly percent: number;
  /** Stops following full GCs and hands the factor back to V8. */
  close(): void;
}

/**
 * Sets the growing factor from the heap in use now, then again after every full GC (from the
 * size that GC left). `headroomMb` 0: nothing is changed.
 */
export function installGcHeadroom(headroomMb: number): GcHeadroom {
  const headroom = headroomMb * MB;
  let percent = -1;
  const apply = (): void => {
    const next = growingPercentFor(oldGenerationUsed(), headroom);
    if (next === percent) return;
    percent = next;
    setFlagsFromString(`--heap-growing-percent=${next}`);
  };
  if (headroom <= 0) return { percent: 0, close: () => undefined };
  apply();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = Reflect.get(e, 'detail') as { kind?: number } | undefined;
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        apply();
        return;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    get percent() {
      return Math.max(percent, 0);
    },
    close() {
      observer.disconnect();
      if (percent > 0) setFlagsFromString('--heap-growing-percent=0');
      percent = 0;
    },
  };
}
