#!/usr/bin/env node
// Builds a librdkafka new enough for KIP-848 (group.protocol=consumer) once per machine, from the
// source the npm registry ships inside node-rdkafka (deps/librdkafka, 2.12.0), and prints the
// directory holding librdkafka.so.1. Debian's python3-confluent-kafka and kcat use it through
// LD_LIBRARY_PATH (same soname and ABI as Debian's librdkafka 2.0.2). Cached under
// $SAMSA_CACHE_DIR (default ~/.cache); a lock directory keeps concurrent callers from building twice.
// Needs gcc, make and Debian's zlib/zstd headers; built without SSL/SASL (the tests use PLAINTEXT).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGE = 'node-rdkafka@3.6.1';
const VERSION = '2.12.0';
const cacheRoot = process.env.SAMSA_CACHE_DIR ?? join(homedir(), '.cache');
const dir = join(cacheRoot, `samsa-librdkafka-${VERSION}`);
const lib = join(dir, 'librdkafka.so.1');
const lock = `${dir}.lock`;

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function build() {
  const work = mkdtempSync(join(tmpdir(), 'samsa-librdkafka-'));
  try {
    const quiet = { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] };
    execFileSync('npm', ['pack', '--silent', PACKAGE], quiet);
    execFileSync('tar', ['xzf', 'node-rdkafka-3.6.1.tgz', 'package/deps/librdkafka'], quiet);
    const src = join(work, 'package', 'deps', 'librdkafka');
    const opts = { cwd: src, stdio: ['ignore', 'ignore', 'inherit'] };
    execFileSync('./configure', ['--disable-ssl', '--disable-sasl', '--disable-gssapi', '--disable-curl', '--disable-lz4-ext'], opts);
    execFileSync('make', ['-j2', '-C', 'src', 'librdkafka.so.1'], opts);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(src, 'src', 'librdkafka.so.1'), `${lib}.tmp`);
    execFileSync('mv', [`${lib}.tmp`, lib]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(lib)) {
  mkdirSync(cacheRoot, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another process builds it; a lock older than 30 minutes is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      sleep(2000);
      if (existsSync(lib)) break;
    }
  }
  try {
    if (!existsSync(lib)) {
      process.stderr.write(`building librdkafka ${VERSION} from ${PACKAGE} into ${dir} (a few minutes, once)\n`);
      build();
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
process.stdout.write(`${dir}\n`);
