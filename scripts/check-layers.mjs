#!/usr/bin/env node
// Checks the layering rules of scripts/layer-rules.mjs over the imports of src/ (or of the
// directory given as the first argument), with the scanner of scripts/layer-scan.mjs: every
// static import/export ... from '...', bare import '...' and dynamic import('...') with a
// relative specifier, type-only imports included (they tie modules together for the compiler
// and the reader alike). Exit code 1 and one line per violation (file, import, rule) when a rule
// is broken; pending rules are only reported.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rules } from './layer-rules.mjs';
import { checkLayers } from './layer-scan.mjs';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));
const { files, violations } = checkLayers(root, rules);
const broken = [];
const pending = new Map();
for (const v of violations) {
  if (v.rule.pending !== undefined) pending.set(v.rule, [...(pending.get(v.rule) ?? []), v.message]);
  else broken.push(v.message);
}

for (const [rule, lines] of pending) {
  console.log(`check-layers: pending rule ${rule.name} (${rule.pending}): ${lines.length} import(s) would break it, e.g. ${lines[0]}`);
}
if (broken.length > 0) {
  for (const l of broken) console.error(`check-layers: ${l}`);
  console.error(`check-layers: ${broken.length} layering violation(s) in ${root} (rules: scripts/layer-rules.mjs, docs/architecture.md)`);
  process.exit(1);
}
console.log(`check-layers: ${files} files, ${rules.filter((r) => r.pending === undefined).length} rules enforced, no violation`);
