/**
 * The layering lint of `npm test` (scripts/check-layers.mjs with scripts/layer-rules.mjs): it
 * passes on the tree, and fails with the file and the rule named when a temporary copy of src/
 * gets a deliberate upward import (storage → broker, protocol → cli by dynamic import), a
 * handler importing another handler, or a handler, the gate or handler.ts importing the Broker.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/lint/check-layers.test.js → the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = join(ROOT, 'scripts/check-layers.mjs');
const temps: string[] = [];

after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function run(srcDir?: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, srcDir === undefined ? [SCRIPT] : [SCRIPT, srcDir], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A copy of src/ in a temporary directory, with `edits` appended to files (paths under src/). */
function copyWith(edits: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-layers-'));
  temps.push(dir);
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const [file, text] of Object.entries(edits)) appendFileSync(join(dir, 'src', file), text);
  return join(dir, 'src');
}

test('the layering lint passes on the tree', () => {
  const r = run();
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no violation/);
});

test('an upward import from storage/ into broker/ fails the lint, naming the file and the rule', () => {
  const src = copyWith({ 'storage/log-config.ts': "\nimport type { Broker } from '../broker/broker.js';\nexport type UpwardForTest = Broker;\n" });
  const r = run(src);
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /storage\/log-config\.ts:\d+ imports '\.\.\/broker\/broker\.js'.*lower-layers-never-import-upper/);
});

test('a dynamic import of the CLI from protocol/ fails the lint', () => {
  const src = copyWith({ 'protocol/records/crc32c.ts': "\nexport async function upwardForTest(): Promise<unknown> {\n  return import('../../cli/samsa.js');\n}\n" });
  const r = run(src);
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /protocol\/records\/crc32c\.ts:\d+ imports '\.\.\/\.\.\/cli\/samsa\.js'.*lower-layers-never-import-upper/);
});

test('a handler importing another handler fails the lint; a shared non-NN file does not', () => {
  const bad = copyWith({ 'broker/handlers/12-heartbeat.ts': "\nimport { fetchHandler } from './01-fetch.js';\nexport const otherForTest = fetchHandler;\n" });
  const r = run(bad);
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /broker\/handlers\/12-heartbeat\.ts:\d+ imports '\.\/01-fetch\.js'.*handler-never-imports-handler/);
  const ok = copyWith({ 'broker/handlers/12-heartbeat.ts': "\nimport { MAX_PARTITIONS_PER_REQUEST } from './topic-creation.js';\nexport const sharedForTest = MAX_PARTITIONS_PER_REQUEST;\n" });
  assert.equal(run(ok).status, 0);
});

test('a handler, the gate or handler.ts importing broker.ts (type-only too) fails the lint; other broker/ files do not', () => {
  const cases: [string, string, RegExp][] = [
    ['broker/handlers/12-heartbeat.ts', '../broker.js', /broker\/handlers\/12-heartbeat\.ts:\d+ imports '\.\.\/broker\.js'.*handlers-never-import-broker/],
    ['broker/handlers/group-context.ts', '../broker.js', /broker\/handlers\/group-context\.ts:\d+ imports '\.\.\/broker\.js'.*handlers-never-import-broker/],
    ['broker/gate/access-rules.ts', '../broker.js', /broker\/gate\/access-rules\.ts:\d+ imports '\.\.\/broker\.js'.*handlers-never-import-broker/],
    ['broker/handler.ts', './broker.js', /broker\/handler\.ts:\d+ imports '\.\/broker\.js'.*handlers-never-import-broker/],
  ];
  for (const [file, spec, expected] of cases) {
    const r = run(copyWith({ [file]: `\nimport type { Broker } from '${spec}';\nexport type BrokerForTest = Broker;\n` }));
    assert.notEqual(r.status, 0, `${file}: ${r.out}`);
    assert.match(r.out, expected);
  }
  // broker/ itself composes: its other files may still name the Broker.
  const ok = copyWith({ 'broker/router.ts': "\nimport type { Broker } from './broker.js';\nexport type BrokerForTest = Broker;\n" });
  assert.equal(run(ok).status, 0);
});

test('an import inside a comment does not count', () => {
  const src = copyWith({ 'storage/log-config.ts': "\n// import { Broker } from '../broker/broker.js';\n/* import '../cli/samsa.js'; */\n" });
  assert.equal(run(src).status, 0);
});
