/**
 * The old-generation headroom `samsa start` keeps (src/common/gc-headroom.ts): the growing factor
 * for a small live heap leaves the asked headroom above it, large heaps and a headroom of 0 keep
 * V8's own heuristics, and the installer follows full GCs and hands the factor back when closed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { growingPercentFor, installGcHeadroom } from '../../src/common/gc-headroom.js';
import { buildStartConfig } from '../../src/cli/start-command.js';

const MB = 1024 * 1024;

describe('old-generation headroom', () => {
  it('a 20 MB live heap gets a limit 48 MB above it (V8 alone gives about 1.75 × live: 15 MB of room)', () => {
    const percent = growingPercentFor(20 * MB, 48 * MB);
    assert.equal(percent, 240);
    assert.ok(20 * MB * (1 + percent / 100) >= 68 * MB);
  });

  it('the factor is bounded, and large heaps or a headroom of 0 are left to V8 (0: the flag unset)', () => {
    assert.equal(growingPercentFor(2 * MB, 48 * MB), 400);
    assert.equal(growingPercentFor(100, 48 * MB), 400);
    assert.equal(growingPercentFor(64 * MB, 48 * MB), 0, 'below factor 2 V8 gives as much itself');
    assert.equal(growingPercentFor(300 * MB, 48 * MB), 0);
    assert.equal(growingPercentFor(20 * MB, 0), 0);
  });

  it('installed, it sets a factor for this small test heap (still set after garbage is collected) and gives it back when closed', async () => {
    const h = installGcHeadroom(48);
    try {
      assert.ok(h.percent > 100, `percent ${h.percent}`);
      let garbage: unknown[] = [];
      for (let i = 0; i < 200_000; i++) garbage.push({ i });
      garbage = [];
      await new Promise((r) => setImmediate(r));
      assert.equal(garbage.length, 0);
      assert.ok(h.percent > 100);
    } finally {
      h.close();
    }
    assert.equal(h.percent, 0);
    assert.equal(installGcHeadroom(0).percent, 0);
  });

  it('samsa start reads gc.old.generation.headroom.mb (default 48 MB; 0 turns it off)', () => {
    assert.equal(buildStartConfig([]).int('gc.old.generation.headroom.mb'), 48);
    assert.equal(buildStartConfig(['--override', 'gc.old.generation.headroom.mb=0']).int('gc.old.generation.headroom.mb'), 0);
    assert.throws(() => buildStartConfig(['--override', 'gc.old.generation.headroom.mb=-1']).int('gc.old.generation.headroom.mb'));
  });
});
