/**
 * When V8 optimizes the functions of a `samsa start` process (src/common/jit-tiering.ts): the
 * configured invocation counts become V8's tiering flags (on V8 13 and later), a function called
 * fewer times than the Maglev count is not optimized in a process that installed them (with V8's
 * own counts it is) and is once called more, and `samsa start` reads the two settings (0: V8's own).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildStartConfig } from '../../src/cli/start-command.js';
import { jitTieringFlags, jitTieringSupported } from '../../src/common/jit-tiering.js';

const MODULE = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../src/common/jit-tiering.js')).href;

/**
 * In a fresh Node process (with --trace-opt; --no-use-osr keeps the calling loop itself from being
 * optimized with the probe inlined into it): optionally installs the counts, then calls a small
 * function `calls` times; returns the compilers that completed compiling it.
 */
function tiersReached(install: string, calls: number): string[] {
  const script = `
    const { installJitTiering } = await import(${JSON.stringify(MODULE)});
    ${install}
    function probeTieringTarget(o) { return o.a * 3 + o.b; }
    let s = 0;
    for (let i = 0; i < ${calls}; i++) s += probeTieringTarget({ a: i, b: 2 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!(s > 0)) process.exit(3);
  `;
  const r = spawnSync(process.execPath, ['--trace-opt', '--no-use-osr', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('completed') && l.includes('probeTieringTarget'))
    .map((l) => /target (\w+)/.exec(l)?.[1] ?? '?');
}

describe('JIT tiering of samsa start', () => {
  it('the counts become V8 tiering flags; 0 leaves V8 its own', () => {
    assert.deepEqual(jitTieringFlags({ maglevInvocations: 1000, turbofanInvocations: 10000 }), ['--invocation-count-for-maglev=1000', '--invocation-count-for-turbofan=10000']);
    assert.deepEqual(jitTieringFlags({ maglevInvocations: 0, turbofanInvocations: 5000 }), ['--invocation-count-for-turbofan=5000']);
    assert.deepEqual(jitTieringFlags({ maglevInvocations: 0, turbofanInvocations: 0 }), []);
  });

  it('only V8 13 or later (Node 24) gets the flags', () => {
    assert.equal(jitTieringSupported('13.6.233.17-node.63'), true);
    assert.equal(jitTieringSupported('14.1.0'), true);
    assert.equal(jitTieringSupported('11.3.244.8-node.38'), false);
  });

  it('installed, a function called 700 times is not optimized yet (with V8 own counts Maglev compiles it), 2,000 times it is', { skip: jitTieringSupported() ? false : `V8 ${process.versions.v8} names its tiering differently` }, () => {
    const install = 'installJitTiering({ maglevInvocations: 1000, turbofanInvocations: 10000 });';
    const own = tiersReached('', 700);
    assert.ok(own.includes('MAGLEV'), `V8's own counts: ${own.join(', ')}`);
    const later = tiersReached(install, 700);
    assert.deepEqual(later, [], `with 1000/10000 after 700 calls: ${later.join(', ')}`);
    const eventually = tiersReached(install, 2000);
    assert.ok(eventually.includes('MAGLEV'), `with 1000/10000 after 2,000 calls: ${eventually.join(', ')}`);
  });

  it('samsa start reads jit.maglev.invocations and jit.turbofan.invocations (defaults 1000 and 10000; 0: V8 own)', () => {
    const config = buildStartConfig([]);
    assert.equal(config.int('jit.maglev.invocations'), 1000);
    assert.equal(config.int('jit.turbofan.invocations'), 10000);
    const off = buildStartConfig(['--override', 'jit.maglev.invocations=0', '--override', 'jit.turbofan.invocations=0']);
    assert.equal(off.int('jit.maglev.invocations'), 0);
    assert.equal(off.int('jit.turbofan.invocations'), 0);
    assert.throws(() => buildStartConfig(['--override', 'jit.turbofan.invocations=-1']).int('jit.turbofan.invocations'));
  });
});
