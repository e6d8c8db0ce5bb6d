#!/usr/bin/env node
/**
 * `npm install` hook: builds the optional native addons of native/crc32c with node-gyp: CRC32C,
 * the record scan of uncompressed produced batches (record-scan.c) and the zero-copy send of Fetch
 * answers (zero-copy.c, sendfile; also TCP_QUICKACK for TLS requests read in pieces). Never fails the install: without a compiler or Node's headers
 * Samsa uses @node-rs/crc32 (about 4x slower on large batches), the JavaScript record scanner
 * (about 2.5x slower per record) and copies of the log bytes it sends, and says so here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native', 'crc32c');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

const gyp = nodeGyp();
if (!existsSync(join(dir, 'binding.gyp'))) process.exit(0);
if (!gyp) {
  console.warn('samsa: node-gyp not found; the native addons are not built (falling back to @node-rs/crc32, the JavaScript record scanner and copied Fetch answers)');
  process.exit(0);
}
const args = [gyp, 'rebuild'];
// Use the headers installed with this Node when they are there (no download needed).
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
  console.warn(`samsa: building the native addons failed; falling back to @node-rs/crc32, the JavaScript record scanner and copied Fetch answers\n${tail}`);
}
