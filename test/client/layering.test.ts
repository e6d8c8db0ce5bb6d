/**
 * Layering of the one protocol client (docs/architecture.md, "One protocol client"): src/client/
 * imports only src/protocol, src/common, and the framing of src/network (frame-splitter.ts,
 * frame-reader.ts), never the broker, storage, groups, transactions or the CLI, and no package.
 * Checked with the layering lint's own scanner and rule (scripts/layer-scan.mjs,
 * scripts/layer-rules.mjs: client-imports-only-protocol-common-framing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SRC_DIR, layerScan, violationsOf } from '../helpers/layers.js';

const CLIENT_DIR = join(SRC_DIR, 'client');

test('src/client/ imports only src/protocol, src/common, network framing and node: built-ins', () => {
  const files = readdirSync(CLIENT_DIR).filter((f) => f.endsWith('.ts'));
  const violations = violationsOf('client-imports-only-protocol-common-framing');
  for (const f of files) {
    for (const { spec } of layerScan.specifiersOf(readFileSync(join(CLIENT_DIR, f), 'utf8'))) {
      if (!spec.startsWith('node:') && !spec.startsWith('.')) violations.push(`src/client/${f} imports the package '${spec}'`);
    }
  }
  assert.deepEqual(violations, []);
  assert.ok(files.includes('protocol-client.ts'), 'the one protocol client exists');
});

test('the import scanner sees static, re-export, side-effect and dynamic imports', () => {
  const src = "import { a } from '../broker/broker.js';\nexport * from '../group/x.js';\nimport '../txn/y.js';\nconst m = await import('../cli/z.js');\nimport type {\n  T,\n} from '../storage/t.js';\n";
  assert.deepEqual(layerScan.specifiersOf(src).map((s) => s.spec).sort(), ['../broker/broker.js', '../cli/z.js', '../group/x.js', '../storage/t.js', '../txn/y.js']);
});
