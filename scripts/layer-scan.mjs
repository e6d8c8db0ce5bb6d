// The import scanner and rule check behind scripts/check-layers.mjs, shared with the layering
// tests (test/client/layering.test.ts, test/coordinator/layering.test.ts) so there is one copy.
// Every static import/export ... from '...', bare import '...' and dynamic import('...') counts,
// type-only imports included; comments are stripped first so a quoted import does not count.
// No dependency: a regex scan is enough because the sources are formatted by one style.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
const HANDLER = /^broker\/handlers\/\d\d-[^/]+\.ts$/;

/** Every .ts file (not .d.ts) under `dir`. */
export function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** A path relative to `root` with / separators (e.g. "broker/handlers/00-produce.ts"). */
export function rel(root, p) {
  return relative(root, p).split(sep).join('/');
}

function layerOf(relPath) {
  const i = relPath.indexOf('/');
  return i < 0 ? '' : relPath.slice(0, i);
}

/** Strips comments so that an import quoted in a comment does not count. */
function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every module specifier `text` imports or re-exports (static, side-effect, dynamic), with its line. */
export function specifiersOf(text) {
  const stripped = code(text);
  const out = [];
  for (const m of stripped.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined) continue;
    const line = stripped.slice(0, m.index + m[0].lastIndexOf(spec)).split('\n').length;
    out.push({ spec, line });
  }
  return out;
}

/** The relative imports of `file`, each with its target relative to `root` (.js read as .ts). */
export function importsOf(root, file) {
  return specifiersOf(readFileSync(file, 'utf8'))
    .filter(({ spec }) => spec.startsWith('.'))
    .map(({ spec, line }) => ({ spec, line, target: rel(root, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))) }));
}

/** An entry names a file (ends in .ts), a folder (contains a /, e.g. "broker/handlers") or a layer. */
function matches(target, entries) {
  return entries.some((e) => (e.endsWith('.ts') ? target === e : e.includes('/') ? target.startsWith(`${e}/`) : layerOf(target) === e));
}

function violates(rule, from, target) {
  const fromLayer = layerOf(from);
  switch (rule.kind) {
    case 'forbid':
      return matches(from, rule.from) && matches(target, rule.to);
    case 'only':
      return rule.from.includes(fromLayer) && layerOf(target) !== fromLayer && !matches(target, rule.allow);
    case 'handlers':
      return HANDLER.test(from) && HANDLER.test(target) && target !== from;
    default:
      throw new Error(`unknown rule kind ${rule.kind} in ${rule.name}`);
  }
}

/** Every import under `root` that breaks one of `rules`, with one message line each. */
export function checkLayers(root, rules) {
  const files = walk(root);
  const violations = [];
  for (const file of files) {
    const from = rel(root, file);
    for (const imp of importsOf(root, file)) {
      for (const rule of rules) {
        if (!violates(rule, from, imp.target)) continue;
        const message = `${from}:${imp.line} imports '${imp.spec}' (${imp.target}): breaks ${rule.name}: ${rule.why}`;
        violations.push({ rule, from, target: imp.target, message });
      }
    }
  }
  return { files: files.length, violations };
}
