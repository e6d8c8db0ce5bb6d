// Types of scripts/layer-rules.mjs for the TypeScript tests that load it (test/*/layering.test.ts).
import type { LayerRule } from './layer-scan.mjs';
export const rules: readonly LayerRule[];
