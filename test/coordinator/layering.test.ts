/**
 * Layering of the coordinators (docs/architecture.md, "The layers"): src/group/, src/txn/ and
 * src/coordinator/ receive narrow dependencies (src/coordinator/deps.ts) and never import
 * src/broker/ (nor the CLI or the client). Read from the TypeScript sources, like
 * test/client/layering.test.ts, so an upward import fails here before any linter exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/coordinator/layering.test.js → the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LAYERS = ['src/group', 'src/txn', 'src/coordinator'];
const FORBIDDEN = [/^src\/broker\//, /^src\/cli\//, /^src\/client\//, /^src\/index\.ts$/];

/** Every module specifier a source file imports or re-exports, static or dynamic. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(m[1] as string);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** Upward imports of the files in `dir` (relative to the repository root). */
function violationsIn(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(join(ROOT, dir))) return out;
  for (const f of readdirSync(join(ROOT, dir)).filter((x) => x.endsWith('.ts'))) {
    const path = join(ROOT, dir, f);
    for (const spec of specifiers(readFileSync(path, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative(ROOT, resolve(dirname(path), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
      if (FORBIDDEN.some((re) => re.test(target))) out.push(`${dir}/${f} imports ${target}`);
    }
  }
  return out;
}

test('src/group, src/txn and src/coordinator never import src/broker (nor cli, client, index.ts)', () => {
  const violations = LAYERS.flatMap(violationsIn);
  assert.deepEqual(violations, []);
  assert.ok(existsSync(join(ROOT, 'src/coordinator/deps.ts')), 'the coordinators take CoordinatorDeps');
});

test('the check sees an upward import, type-only and multi-line ones included', () => {
  const src = "import type {\n  Broker,\n} from '../broker/broker.js';\nimport { x } from '../storage/y.js';\n";
  assert.deepEqual(specifiers(src), ['../broker/broker.js', '../storage/y.js']);
});
