/**
 * The timer guard of the tests (test/helpers/timer-guard.ts) catches a timer armed from Samsa's
 * code with a deadline of 0 used as a timestamp (delay about -Date.now()), a NaN delay and an
 * overflowing one, says where each came from, and leaves good delays alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { guardTimers } from '../helpers/timer-guard.js';

test('the timer guard records bad delays armed from Samsa code, with where they came from', async () => {
  const guard = guardTimers();
  try {
    const deadline = 0;
    clearTimeout(setTimeout(() => undefined, deadline - Date.now()));
    clearTimeout(setTimeout(() => undefined, Number('x')));
    clearInterval(setInterval(() => undefined, 2 ** 31));
    clearTimeout(setTimeout(() => undefined, 10));
    clearInterval(setInterval(() => undefined));
    await promisify(setTimeout)(1);
  } finally {
    guard.uninstall();
  }
  assert.equal(guard.samsa.length, 3);
  assert.ok((guard.samsa[0]?.delay ?? 0) < -1e12);
  assert.ok(Number.isNaN(guard.samsa[1]?.delay));
  assert.equal(guard.samsa[2]?.delay, 2 ** 31);
  for (const b of guard.samsa) assert.match(b.at, /timer-guard\.test\.js/);
  assert.equal(guard.libraries.size, 0);
});
