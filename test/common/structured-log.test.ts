/**
 * The broker log as an operator reads it (issue 16, must-show 3): a start / create topic /
 * produce / delete topic / stop cycle (helpers/fixtures/log-cycle-fixture.ts, request log on)
 * writes JSON lines to stderr, each with an ISO timestamp, level, component and message, the
 * events in order; the same run on a terminal (a pty from script(1)) prints pino-pretty's
 * readable lines instead, with no JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runProcess } from '../helpers/run-process.js';
import { describeRecord, logRecords } from '../helpers/log-lines.js';

const FIXTURE = resolve('dist/test/helpers/fixtures/log-cycle-fixture.js');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** The cycle's events, in order. */
const EVENTS = [/^Samsa broker 1 started in \d+ ms/, /^Created topic cycle with 1 partitions, replication factor 1/, /^Produce v9 correlation \d+ from .* answered in [\d.]+ ms$/, /^Deleted topic cycle \(1 partitions\)/, /^Samsa broker 1 stopped in \d+ ms/];

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  delete env['SAMSA_LOG_LEVEL'];
  return env;
}

test('a start/create/produce/delete/stop cycle logs JSON lines with time, level, component and message', { timeout: 60_000 }, async (t) => {
  const r = await runProcess(process.execPath, [FIXTURE], { env: childEnv(), timeoutMs: 50_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const records = logRecords(r.stderr);
  assert.equal(records.length, lines.length, `every stderr line is a JSON log record:\n${r.stderr}`);
  for (const rec of records) {
    assert.match(rec.time, ISO);
    assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(rec.level), rec.level);
    assert.equal(typeof rec.component, 'string', JSON.stringify(rec));
    assert.ok(rec.msg.length > 0);
    assert.equal(rec.broker, 1);
  }
  let at = 0;
  for (const event of EVENTS) {
    const i = records.findIndex((rec, k) => k >= at && event.test(rec.msg));
    assert.ok(i >= 0, `${event} after line ${at}:\n${records.map(describeRecord).join('\n')}`);
    at = i + 1;
  }
  assert.equal(records.find((rec) => /^Created topic cycle/.test(rec.msg))?.component, 'broker');
  assert.equal(records.find((rec) => /^Produce v9/.test(rec.msg))?.component, 'request');
  assert.equal(records.find((rec) => /^Produce v9/.test(rec.msg))?.level, 'debug');
  t.diagnostic(`the cycle's log (${lines.length} lines):\n${lines.join('\n')}`);
});

test('the same cycle on a terminal prints readable lines (pino-pretty), not JSON', { timeout: 60_000 }, async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) {
    t.skip('script(1) is not installed: no pty to run under');
    return;
  }
  // script(1) runs the fixture on a pseudo-terminal (stdout and stderr are the pty), output to its stdout.
  const r = await runProcess('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE)}`, '/dev/null'], { env: childEnv(), timeoutMs: 50_000 });
  assert.equal(r.code, 0, r.stdout.toString('utf8') + r.stderr);
  // eslint-disable-next-line no-control-regex
  const text = r.stdout.toString('utf8').replace(/\r/g, '').replace(/\u001b\[[0-9;]*m/g, '');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length >= EVENTS.length, text);
  assert.deepEqual(lines.filter((l) => l.startsWith('{')), [], 'no JSON on a terminal');
  for (const l of lines) assert.match(l, /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \[broker 1\] /, l);
  assert.ok(lines.some((l) => / INFO: \[broker 1\] Created topic cycle with 1 partitions/.test(l)), text);
  assert.ok(lines.some((l) => / DEBUG: \[broker 1\] \[request\] Produce v9 /.test(l)), text);
  t.diagnostic(`on a terminal:\n${lines.join('\n')}`);
});
