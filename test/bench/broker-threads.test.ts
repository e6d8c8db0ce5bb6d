/**
 * The bench's Samsa broker process (bench/bench-processes.ts, started as docker/Dockerfile and
 * deploy/systemd/samsa.service start it) runs with one V8 platform worker thread, not Node's four:
 * with four, the event loop's thread waited in pthread_cond_signal whenever V8 posted a compile or
 * GC task while the woken workers waited for a CPU (the latency tail's `blocked` stalls).
 * Linux only (the threads are counted in /proc/<pid>/task).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBroker } from '../../bench/bench-processes.js';

/** Names (comm) of a process's threads. */
function threadNames(pid: number): string[] {
  const out: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.push(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

test('the bench starts Samsa with one V8 worker thread', { skip: !existsSync('/proc/self/task') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-threads-'));
  const broker = await startBroker('samsa', join(dir, 'data'));
  try {
    const pid = broker.child.pid;
    assert.ok(pid !== undefined);
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(args.includes('--v8-pool-size=1'), `node options: ${args.join(' ')}`);
    // Node 24 names its platform workers (V8Worker); Node 22's threads are all called node.
    const names = threadNames(pid);
    if (names.some((n) => n.startsWith('V8Worker'))) assert.equal(names.filter((n) => n.startsWith('V8Worker')).length, 1, `threads: ${names.join(', ')}`);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
