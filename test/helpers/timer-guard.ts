/**
 * Catches timers armed with a delay Node does not honour: negative (e.g. a deadline of 0 or an
 * unset timestamp minus now, about -Date.now()), NaN, or above 2^31-1 ms. Node >= 23 warns about
 * these (TimeoutNegativeWarning, TimeoutOverflowWarning) only once per process and Node 20 not at
 * all, and fires them after 1 ms: a long poll that should wait answers at once. The guard wraps
 * setTimeout and setInterval of this process and records where each bad delay came from; a test
 * asserts that none came from Samsa (a frame in the compiled src/ or test/ of this checkout).
 * Bad delays armed by a client library are counted apart: kafkajs 2.2.4 arms one on every response
 * (RequestQueue.scheduleCheckPendingRequests with throttledUntil -1: tulios/kafkajs#1751, #1704),
 * which is the TimeoutNegativeWarning a CI run on Node 24 showed after the kafkajs part of
 * fetch-from-follower.test.ts.
 */
import { fileURLToPath } from 'node:url';

const MAX_DELAY_MS = 2 ** 31 - 1;
/** dist/ of this checkout (this file is dist/test/helpers/timer-guard.js). */
const DIST = fileURLToPath(new URL('../../', import.meta.url));

export interface BadTimer {
  readonly delay: number;
  /** The first stack frame in Samsa's code. */
  readonly at: string;
  readonly stack: string;
}

export interface TimerGuard {
  /** Bad delays armed from Samsa's code (src/ or test/ under dist/). */
  readonly samsa: BadTimer[];
  /** Bad delays armed from elsewhere (node_modules), by package. */
  readonly libraries: Map<string, number>;
  /** Puts the process's setTimeout and setInterval back. */
  uninstall(): void;
}

function bad(delay: unknown): delay is number {
  if (delay === undefined) return false;
  const d = Number(delay);
  return Number.isNaN(d) || d < 0 || d > MAX_DELAY_MS;
}

export function guardTimers(): TimerGuard {
  const samsa: BadTimer[] = [];
  const libraries = new Map<string, number>();
  const record = (delay: number): void => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 20;
    const stack = new Error('timer').stack ?? '';
    Error.stackTraceLimit = limit;
    // The first frame in a package or in this checkout decides who armed the timer.
    const frames = stack.split('\n').slice(1).filter((f) => !f.includes('helpers/timer-guard'));
    const first = frames.find((f) => f.includes('node_modules') || f.includes(DIST)) ?? '';
    const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(first)?.[1];
    if (lib !== undefined) libraries.set(lib, (libraries.get(lib) ?? 0) + 1);
    else samsa.push({ delay, at: first.trim(), stack });
  };
  const originalTimeout = globalThis.setTimeout;
  const originalInterval = globalThis.setInterval;
  const wrappedTimeout = function (this: unknown, ...args: unknown[]): unknown {
    if (bad(args[1])) record(Number(args[1]));
    return Reflect.apply(originalTimeout, this, args);
  };
  const wrappedInterval = function (this: unknown, ...args: unknown[]): unknown {
    if (bad(args[1])) record(Number(args[1]));
    return Reflect.apply(originalInterval, this, args);
  };
  // util.promisify(setTimeout) keeps working: the custom promisified form is carried over.
  for (const [to, from] of [[wrappedTimeout, originalTimeout], [wrappedInterval, originalInterval]] as const) {
    for (const key of Reflect.ownKeys(from)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      const d = Object.getOwnPropertyDescriptor(from, key);
      if (d !== undefined) Object.defineProperty(to, key, d);
    }
  }
  globalThis.setTimeout = wrappedTimeout as unknown as typeof setTimeout;
  globalThis.setInterval = wrappedInterval as unknown as typeof setInterval;
  return {
    samsa,
    libraries,
    uninstall: () => {
      globalThis.setTimeout = originalTimeout;
      globalThis.setInterval = originalInterval;
    },
  };
}
