/**
 * mulberry32: a small seeded generator of numbers in [0, 1), so that a randomized test's failing
 * run can be repeated with its seed. (compat.ts and crash.ts keep their own generators: their
 * tests' data depends on those sequences.)
 */
export type Rand = () => number;

export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
