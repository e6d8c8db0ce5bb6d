#!/usr/bin/env node
// Bundles the broker's `samsa start` command (dist/src/cli/start-command.js, compiled by tsc) into
// dist/bundle/ with esbuild, for start-up time (issue 22 target 3): the ESM loader's cost is per
// module (resolve, package scope lookups, read, compile, link), and a broker loads ~430 modules of
// its own. The bundle is one file plus a few chunks that only the optional parts (REST proxy,
// registry, console, cluster membership, metrics) load when configured.
//
//   node scripts/bundle.mjs [--outdir DIR]   (run by `npm run build`, `prepare`, `test` and `bench`)
//
// --outdir (default dist/bundle; the tests build into a directory of their own) must be inside the
// repository: the bundle imports node_modules packages from where it is.
//
// - node_modules packages stay external (native addons, their own files, lazily loaded ones).
// - Splitting keeps each dynamic import() a separate chunk, so what the unbundled code loads lazily
//   the bundle loads lazily too.
// - `import.meta.url` in a bundled module becomes the URL of that module's compiled file under
//   dist/src, so every path relative to it (package.json, the native crc32c addon, scan-worker.js,
//   the console's UI files, createRequire) resolves as in the unbundled code.
// - dist/src/cli/samsa.js loads the bundle only when it is newer than the last tsc build
//   (dist/.tsbuildinfo), so `tsc` alone never runs a stale bundle; SAMSA_BUNDLE=0 turns it off
//   (src/cli/bundled-entry.ts).
import { readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--outdir');
const outdir = outArg > 0 && process.argv[outArg + 1] !== undefined ? resolve(process.argv[outArg + 1]) : join(root, 'dist', 'bundle');
const entries = { 'start-command': join(root, 'dist', 'src', 'cli', 'start-command.js') };

for (const e of Object.values(entries)) {
  if (!existsSync(e)) {
    console.error(`bundle: ${relative(root, e)} is missing: run tsc -p tsconfig.json first`);
    process.exit(1);
  }
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // esbuild is a devDependency: without it (a production install) the CLI runs unbundled.
  console.log('bundle: esbuild is not installed; samsa start runs the unbundled modules');
  process.exit(0);
}

/** Rewrites `import.meta.url` to the module's own compiled file, relative to the bundle's output. */
const metaUrl = {
  name: 'samsa-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      if (text.includes('import.meta.url')) {
        const rel = relative(outdir, args.path).split(sep).join('/');
        text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      }
      return { contents: text, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const started = performance.now();
const result = await esbuild.build({
  entryPoints: entries,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  plugins: [metaUrl],
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(`bundle: ${Object.keys(result.metafile.inputs).length} modules -> ${outputs.length} files in ${relative(root, outdir)} (${(bytes / 1024).toFixed(0)} KiB) in ${Math.round(performance.now() - started)} ms`);
