/**
 * Which build of a CLI command to load: the esbuild bundle in dist/bundle (scripts/bundle.mjs) or
 * the modules tsc compiled into dist/src. Start-up time (issue 22 target 3): Node's ESM loader
 * spends most of a broker's launch on resolving, reading and linking its ~430 modules one by one;
 * the bundle is one file plus a few lazily loaded chunks.
 *
 * The bundle is used only when it is at least as new as the last tsc build (dist/.tsbuildinfo):
 * after `tsc` alone (the edit-compile-test loop) the CLI runs what was just compiled, never a stale
 * bundle. An installed package ships no .tsbuildinfo, so its bundle is used. SAMSA_BUNDLE=0 forces
 * the unbundled modules (A/B measurements, debugging with dist/src stack traces).
 *
 * Not a Kafka concept: Kafka's scripts start one JVM with the broker's classpath.
 */
import { statSync } from 'node:fs';

/** `name`.js in dist/bundle, given dist/src/cli's URL; null when it should not (or cannot) be used. */
export function bundledEntry(name: string, cliDir: URL, env: Readonly<Record<string, string | undefined>> = process.env): URL | null {
  if (env['SAMSA_BUNDLE'] === '0') return null;
  const bundle = new URL(`../../bundle/${name}.js`, cliDir);
  const built = mtimeMs(bundle);
  if (built === null) return null;
  const compiled = mtimeMs(new URL('../../.tsbuildinfo', cliDir));
  return compiled === null || built >= compiled ? bundle : null;
}

function mtimeMs(file: URL): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}
