/**
 * Shared set-up of the crash harnesses (test/broker/crash-harness.test.ts, crash-delete.test.ts):
 * a temporary data directory whose broker process is killed and directory removed after the file,
 * and the seeded generator that picks the kill moments (CRASH_SEED=<n> replays a run).
 */
import { after } from 'node:test';
import { removeDir, tempDir, type BrokerProcess } from './broker-process.js';

/** A temporary data dir; after the test file, the broker `current()` returns is killed and the dir removed. */
export function crashDataDir(prefix: string, current: () => BrokerProcess | undefined): string {
  const dataDir = tempDir(prefix);
  after(async () => {
    await current()?.kill();
    removeDir(dataDir);
  });
  return dataDir;
}

/** The run's seed: CRASH_SEED if set, else derived from the clock (printed by the harnesses). */
export function crashSeed(): number {
  return Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
}

/** A small deterministic generator of numbers in [0, 1) for `seed`. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}
