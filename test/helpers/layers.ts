/**
 * The layering lint's own scanner and rules (scripts/layer-scan.mjs, scripts/layer-rules.mjs),
 * loaded for the layering tests so they check with the code `npm test` runs, not a copy. The
 * scripts are not compiled into dist/, so they are imported from the repository root at run time.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as LayerScan from '../../scripts/layer-scan.mjs';
import type * as LayerRules from '../../scripts/layer-rules.mjs';

// dist/test/helpers/layers.js → the repository root.
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SRC_DIR = join(REPO_ROOT, 'src');

export const layerScan: typeof LayerScan = await import(pathToFileURL(join(REPO_ROOT, 'scripts/layer-scan.mjs')).href);
export const layerRules: typeof LayerRules = await import(pathToFileURL(join(REPO_ROOT, 'scripts/layer-rules.mjs')).href);

/** The messages of the lint's violations of the rule named `name` over src/. */
export function violationsOf(name: string): string[] {
  const rule = layerRules.rules.find((r) => r.name === name);
  if (rule === undefined) throw new Error(`no layering rule named ${name} in scripts/layer-rules.mjs`);
  return layerScan.checkLayers(SRC_DIR, [rule]).violations.map((v) => v.message);
}
