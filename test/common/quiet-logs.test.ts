/**
 * Broker logs in test output (issue 11, item 13): `npm test` (scripts/run-tests.mjs) prints a
 * broker's log only for a failing test, for in-process brokers (through the embedded API's
 * logger option / the process-wide log sink) and child-process brokers (captured output) alike;
 * a passing run prints no broker log line. The embedded API sends its log to a given sink.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { runProcess } from '../helpers/run-process.js';
import { startBroker, type StartBrokerOptions } from '../../src/index.js';
import { logged } from '../helpers/log-lines.js';

const FIXTURE = resolve('dist/test/helpers/fixtures/quiet-logs-fixture.js');
/** A Samsa log line: a JSON object with level, time and msg (a broker's lines carry broker and component). */
const LOG_LINE = /^\{"level":"(error|warn|info|debug|trace)","time":"\d{4}-\d\d-\d\dT[\d:.]+Z"/;

async function runFixture(fail: boolean): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, QUIET_FIXTURE_FAIL: fail ? '1' : '0', TEST_CONCURRENCY: '1' };
  delete env['NODE_TEST_CONTEXT']; // set for processes under node --test: the run would count as nested
  delete env['SAMSA_TEST_LOGS'];
  delete env['SAMSA_LOG_LEVEL'];
  const r = await runProcess(process.execPath, ['scripts/run-tests.mjs', FIXTURE], { env, timeoutMs: 90_000 });
  return { code: r.code, out: r.stdout.toString('utf8') + r.stderr };
}

test('startBroker({ logger: { sink } }) sends the broker log to the sink', async () => {
  const lines: string[] = [];
  // Built apart from the call so that it compiles against an API without the option, too.
  const opts: StartBrokerOptions & Record<string, unknown> = { port: 0, logger: { sink: (l: string) => void lines.push(l), level: 'info' } };
  const b = await startBroker(opts);
  await b.stop();
  assert.ok(logged(lines, 'info', /^Samsa broker 1 started in \d+ ms: listeners PLAINTEXT:\/\/127\.0\.0\.1:\d+/).length === 1, `sink got: ${JSON.stringify(lines)}`);
  assert.ok(lines.every((l) => LOG_LINE.test(l) && l.endsWith('\n')), JSON.stringify(lines));
});

test('a passing test file prints no broker log line (in-process or child-process broker)', { timeout: 120_000 }, async () => {
  const { code, out } = await runFixture(false);
  assert.equal(code, 0, out);
  const logLines = out.split('\n').filter((l) => LOG_LINE.test(l));
  assert.deepEqual(logLines, [], `broker log lines in a passing run:\n${out}`);
  assert.match(out, /✔ passing test/);
});

test('a failing test prints its broker logs (both brokers), and only its own', { timeout: 120_000 }, async () => {
  const { code, out } = await runFixture(true);
  assert.equal(code, 1, out);
  assert.match(out, /✖ maybe failing test/);
  assert.equal(logged(out, 'info', /^Preparing to rebalance group quiet-failing-in-process /).length, 1, out);
  assert.equal(logged(out, 'info', /^Preparing to rebalance group quiet-failing-child /).length, 1, out);
  assert.match(out, /broker log for failing test "maybe failing test"/, out);
  assert.doesNotMatch(out, /quiet-passing-/, 'the passing test\'s log is not printed');
});
