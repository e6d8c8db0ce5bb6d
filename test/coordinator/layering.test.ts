/**
 * Layering of the coordinators (docs/architecture.md, "The layers"): src/group/, src/txn/ and
 * src/coordinator/ receive narrow dependencies (src/coordinator/deps.ts) and never import
 * src/broker/ (nor the CLI, the client or index.ts). Checked with the layering lint's own scanner
 * and rule (scripts/layer-scan.mjs, scripts/layer-rules.mjs: coordinators-never-import-broker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SRC_DIR, layerRules, layerScan, violationsOf } from '../helpers/layers.js';

test('src/group, src/txn and src/coordinator never import src/broker (nor cli, client, index.ts)', () => {
  const rule = layerRules.rules.find((r) => r.name === 'coordinators-never-import-broker');
  assert.ok(rule !== undefined && rule.kind === 'forbid');
  assert.deepEqual(violationsOf('coordinators-never-import-broker'), []);
  assert.ok(existsSync(join(SRC_DIR, 'coordinator/deps.ts')), 'the coordinators take CoordinatorDeps');
});

test('the check sees an upward import, type-only and multi-line ones included', () => {
  const src = "import type {\n  Broker,\n} from '../broker/broker.js';\nimport { x } from '../storage/y.js';\n";
  assert.deepEqual(layerScan.specifiersOf(src).map((s) => s.spec), ['../broker/broker.js', '../storage/y.js']);
});
