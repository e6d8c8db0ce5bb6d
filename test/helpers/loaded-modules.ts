/**
 * Which modules a Node process loads: the process runs with a module resolve hook (registered by
 * `--import`) that appends every resolved URL to a file, plus, at exit, the CommonJS cache.
 * For start-up cost tests: a module that is never resolved is never read, compiled or run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runProcess } from './run-process.js';

/** dist/src (this file is dist/test/helpers/loaded-modules.js). */
export const DIST_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** The URL of a compiled source file, `p` relative to dist/src. */
export const distUrl = (p: string): string => pathToFileURL(resolve(DIST_SRC, p)).href;

const HOOK = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + '\\n');
  return r;
}`;

const register = (out: string): string => `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { out: ${JSON.stringify(out)} } });
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(${JSON.stringify(out)}, Object.keys(require.cache).map((k) => k + '\\n').join('')));
`;

/** Runs `node <args>` with the hook; returns every module URL (or CommonJS path) it loaded, and its output. */
export async function modulesLoadedBy(args: string[], env?: NodeJS.ProcessEnv): Promise<{ modules: string[]; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-loaded-'));
  const out = join(dir, 'modules.txt');
  const registration = join(dir, 'register.mjs');
  writeFileSync(registration, register(out));
  try {
    const r = await runProcess(process.execPath, ['--import', pathToFileURL(registration).href, ...args], { timeoutMs: 60_000, ...(env !== undefined ? { env } : {}) });
    assert.equal(r.timedOut, false, 'the child process finished');
    assert.equal(r.code, 0, `child failed:\n${r.stderr.toString()}`);
    return { modules: readFileSync(out, 'utf8').split('\n').filter((l) => l !== ''), stdout: r.stdout.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs an ES module body (top-level await allowed) with the hook. */
export function modulesLoadedByScript(body: string): Promise<{ modules: string[]; stdout: string }> {
  return modulesLoadedBy(['--input-type=module', '-e', body]);
}

/** The loaded modules of the npm package `name` (its own files, not a nested copy's). */
export const ofPackage = (modules: string[], name: string): string[] => modules.filter((m) => m.includes(`node_modules/${name}/`));
