import assert from 'node:assert/strict';
import { KafkaError } from '../../../src/common/kafka-error.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export { mulberry32 as prng } from '../../helpers/mulberry32.js';

export function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Somewhat compressible text-like bytes. */
export function textBytes(rnd: () => number, n: number): Buffer {
  const words = ['kafka', 'samsa', 'record', 'batch', 'offset', 'partition', 'topic', 'leader', ' ', '\n', '{"k":', '}'];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = words[Math.floor(rnd() * words.length)] ?? 'x';
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

export function assertKafkaError(fn: () => unknown, code: number, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KafkaError, `expected KafkaError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}
