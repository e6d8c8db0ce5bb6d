/**
 * Layering of the one protocol client (docs/architecture.md, "One protocol client"): src/client/
 * imports only src/protocol, src/common, and the framing of src/network (frame-splitter.ts,
 * frame-reader.ts), never the broker, storage, groups, transactions or the CLI. Read from the
 * TypeScript sources, so a new upward import fails here before any linter exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/client/layering.test.js → the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLIENT_DIR = join(ROOT, 'src/client');
const ALLOWED = [/^src\/client\//, /^src\/protocol\//, /^src\/common\//, /^src\/network\/frame-(splitter|reader)\.ts$/];

/** Every module specifier a source file imports or re-exports, static or dynamic. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(m[1] as string);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] as string);
  return out;
}

test('src/client/ imports only src/protocol, src/common, network framing and node: built-ins', () => {
  const files = readdirSync(CLIENT_DIR).filter((f) => f.endsWith('.ts'));
  const violations: string[] = [];
  for (const f of files) {
    const path = join(CLIENT_DIR, f);
    for (const spec of specifiers(readFileSync(path, 'utf8'))) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        violations.push(`src/client/${f} imports the package '${spec}'`);
        continue;
      }
      const target = relative(ROOT, resolve(dirname(path), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
      if (!ALLOWED.some((re) => re.test(target))) violations.push(`src/client/${f} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
  assert.ok(files.includes('protocol-client.ts'), 'the one protocol client exists');
});

test('the import scanner sees static, re-export, side-effect and dynamic imports', () => {
  const src = "import { a } from '../broker/broker.js';\nexport * from '../group/x.js';\nimport '../txn/y.js';\nconst m = await import('../cli/z.js');\nimport type {\n  T,\n} from '../storage/t.js';\n";
  assert.deepEqual(specifiers(src).sort(), ['../broker/broker.js', '../cli/z.js', '../group/x.js', '../storage/t.js', '../txn/y.js']);
});
