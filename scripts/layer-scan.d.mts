// Types of scripts/layer-scan.mjs for the TypeScript tests that load it (test/*/layering.test.ts).
export interface LayerRule {
  readonly name: string;
  readonly kind: 'forbid' | 'only' | 'handlers';
  readonly why: string;
  readonly pending?: string;
}
export interface LayerViolation {
  readonly rule: LayerRule;
  readonly from: string;
  readonly target: string;
  readonly message: string;
}
export function walk(dir: string, out?: string[]): string[];
export function rel(root: string, p: string): string;
export function specifiersOf(text: string): { spec: string; line: number }[];
export function importsOf(root: string, file: string): { spec: string; line: number; target: string }[];
export function checkLayers(root: string, rules: readonly LayerRule[]): { files: number; violations: LayerViolation[] };
