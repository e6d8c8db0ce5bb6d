#!/usr/bin/env node
// Checks the layering rules of scripts/layer-rules.mjs over the imports of src/ (or of the
// directory given as the first argument): every static import/export ... from '...', bare
// import '...' and dynamic import('...') with a relative specifier, type-only imports included
// (they tie modules together for the compiler and the reader alike). Exit code 1 and one line
// per violation (file, import, rule) when a rule is broken; pending rules are only reported.
// No dependency: a regex scan is enough because the sources are formatted by one style.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from './layer-rules.mjs';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
const HANDLER = /^broker\/handlers\/\d\d-[^/]+\.ts$/;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** A path relative to the root with / separators (e.g. "broker/handlers/00-produce.ts"). */
function rel(p) {
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

function importsOf(file) {
  const text = code(readFileSync(file, 'utf8'));
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined || !spec.startsWith('.')) continue;
    const line = text.slice(0, m.index + m[0].lastIndexOf(spec)).split('\n').length;
    const target = rel(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    out.push({ spec, target, line });
  }
  return out;
}

function matches(target, entries) {
  return entries.some((e) => (e.endsWith('.ts') ? target === e : layerOf(target) === e));
}

function violates(rule, from, target) {
  const fromLayer = layerOf(from);
  switch (rule.kind) {
    case 'forbid':
      return rule.from.includes(fromLayer) && matches(target, rule.to);
    case 'only':
      return rule.from.includes(fromLayer) && layerOf(target) !== fromLayer && !matches(target, rule.allow);
    case 'handlers':
      return HANDLER.test(from) && HANDLER.test(target) && target !== from;
    default:
      throw new Error(`unknown rule kind ${rule.kind} in ${rule.name}`);
  }
}

const files = walk(root, []);
const broken = [];
const pending = new Map();
for (const file of files) {
  const from = rel(file);
  for (const imp of importsOf(file)) {
    for (const rule of rules) {
      if (!violates(rule, from, imp.target)) continue;
      const line = `${from}:${imp.line} imports '${imp.spec}' (${imp.target}): breaks ${rule.name}: ${rule.why}`;
      if (rule.pending !== undefined) pending.set(rule, [...(pending.get(rule) ?? []), line]);
      else broken.push(line);
    }
  }
}

for (const [rule, lines] of pending) {
  console.log(`check-layers: pending rule ${rule.name} (${rule.pending}): ${lines.length} import(s) would break it, e.g. ${lines[0]}`);
}
if (broken.length > 0) {
  for (const l of broken) console.error(`check-layers: ${l}`);
  console.error(`check-layers: ${broken.length} layering violation(s) in ${rel(root) || root} (rules: scripts/layer-rules.mjs, docs/architecture.md)`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, ${rules.filter((r) => r.pending === undefined).length} rules enforced, no violation`);
