/**
 * Preloaded into every test process by scripts/run-tests.mjs (`node --test --import`): broker logs
 * (in-process and child-process brokers, see log-capture.ts) are held back and printed only when
 * a test fails, as "broker log for failing test <name>". A passing run prints no broker log line.
 * Set SAMSA_TEST_LOGS=live to see every log line as it is written instead.
 *
 * Attribution: lines logged since the previous test finished (its hooks included) belong to the
 * next test to finish. A failure outside any test (a before() hook) prints what is left at exit.
 */
import { afterEach } from 'node:test';
import { setLogSink } from '../../src/common/logger.js';
import { discardHeld, holdLine, takeHeld } from './log-capture.js';

if (process.env['SAMSA_TEST_LOGS'] !== 'live') {
  setLogSink(holdLine);
  afterEach((t) => {
    // TestContext.passed (Node >= 20.12); where unknown, keep the lines (printed at exit on failure).
    const passed: unknown = Reflect.get(t, 'passed');
    if (passed === undefined) return;
    if (passed === true) {
      discardHeld();
      return;
    }
    const text = takeHeld(`broker log for failing test "${t.name}"`);
    if (text !== '') process.stderr.write(text);
  });
  process.on('exit', (code) => {
    if (code === 0 && (process.exitCode ?? 0) === 0) return;
    const text = takeHeld('broker log at exit of a failed test file');
    if (text !== '') process.stderr.write(text);
  });
}
