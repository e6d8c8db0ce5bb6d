// Runs every compiled test file under dist/test with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [substring-filter | path/to/file.js ...]
// Broker logs are held back and printed only for failing tests (dist/test/helpers/quiet-logs.js,
// preloaded into every test process); SAMSA_TEST_LOGS=live prints them as they are written.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
// An argument naming a .js file is run as given (even outside the *.test.js files collected).
const explicit = filters.filter((f) => f.endsWith('.js') && existsSync(f));
const substrings = filters.filter((f) => !explicit.includes(f));
const collected = filters.length > 0 && substrings.length === 0 ? [] : collect('dist/test', []).sort().filter((f) => substrings.length === 0 || substrings.some((s) => f.includes(s)));
const files = [...explicit, ...collected];
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const quiet = resolve('dist/test/helpers/quiet-logs.js');
const preload = existsSync(quiet) ? ['--import', pathToFileURL(quiet).href] : [];
// --test-force-exit: a file whose tests all finished exits even if a library left a timer behind
// (etcd3's reconnect timers after a member was killed and restarted kept one file's process alive
// for minutes under load); a test that leaks a handle still fails on its own assertions.
const r = spawnSync(process.execPath, [...preload, '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
