/**
 * Builds the Go compatibility programs of test/compat/go/ (sarama and kafka-go from Debian's
 * golang-*-dev packages, GOPATH mode) once: binaries are cached by a hash of the sources and the
 * Go version under ~/.cache/samsa-go-compat (SAMSA_GO_CACHE overrides), so test files and later
 * runs reuse them; other builds in that cache are removed when a new one is made. Never committed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.js';

export type GoProgram = 'kafkago' | 'sarama';

/** Debian's Go with its packaged libraries. */
export const GOPATH = '/usr/share/gocode';
const SOURCES = fileURLToPath(new URL('../../../test/compat/go/', import.meta.url));
const PROGRAMS: readonly GoProgram[] = ['kafkago', 'sarama'];

let built: Promise<string> | null = null;

function goEnv(cacheDir: string): NodeJS.ProcessEnv {
  return { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: join(cacheDir, 'go-build'), CGO_CFLAGS: '-Wno-deprecated-declarations' };
}

async function buildAll(): Promise<string> {
  const version = await runProcess('go', ['version'], { timeoutMs: 30_000 }).catch((e: unknown) => {
    throw new Error(`Go is needed for the sarama/kafka-go tests (apt-get install golang-go golang-github-shopify-sarama-dev golang-github-segmentio-kafka-go-dev; .ci/run does): ${String(e)}`);
  });
  const h = createHash('sha256').update(version.stdout);
  for (const p of PROGRAMS) h.update(p).update(readFileSync(join(SOURCES, p, 'main.go')));
  const root = process.env['SAMSA_GO_CACHE'] ?? join(homedir(), '.cache', 'samsa-go-compat');
  const key = h.digest('hex').slice(0, 16);
  const dir = join(root, key);
  if (PROGRAMS.every((p) => existsSync(join(dir, p)))) return dir;
  mkdirSync(dir, { recursive: true });
  for (const p of PROGRAMS) {
    const tmp = join(dir, `${p}.tmp-${process.pid}`);
    const r = await runProcess('go', ['build', '-o', tmp, join(SOURCES, p, 'main.go')], { env: goEnv(root), timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`go build ${p} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}):\n${r.stderr}`);
    renameSync(tmp, join(dir, p));
  }
  for (const other of readdirSync(root)) {
    if (other !== key && other !== 'go-build') rmSync(join(root, other), { recursive: true, force: true });
  }
  return dir;
}

/** The path of a built program (built on first use in this process, or found in the cache). */
export async function goProgram(p: GoProgram): Promise<string> {
  built ??= buildAll();
  return join(await built, p);
}

/** Runs a Go program; its last stdout line is JSON. Fails with stderr on a non-zero exit. */
export async function runGo<T = unknown>(p: GoProgram, args: string[], timeoutMs = 60_000): Promise<T> {
  const r = await runProcess(await goProgram(p), args, { timeoutMs });
  const out = r.stdout.toString('utf8').trim();
  if (r.timedOut || r.code !== 0) throw new Error(`${p} ${args.join(' ')} ${r.timedOut ? 'timed out' : `exited with ${r.code}`}\nstdout:\n${out.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`);
  const lines = out.split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}
