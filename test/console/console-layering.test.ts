/**
 * The console is a Kafka client (scripts/layer-rules.mjs: console-is-a-kafka-client): src/console/
 * imports only src/client, src/common and src/protocol, and of the packages only fastify (and
 * avsc / protobufjs, which decode records through the schema registry); never
 * the broker, storage or coordinators, so it works against any Kafka-protocol cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SRC_DIR, layerScan, violationsOf } from '../helpers/layers.js';

const CONSOLE_DIR = join(SRC_DIR, 'console');

test('src/console/ imports only src/client, src/common, src/protocol, fastify, avsc, protobufjs and node: built-ins', () => {
  const files = readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('server.ts'));
  const violations = violationsOf('console-is-a-kafka-client');
  const packages = new Set(['fastify', 'avsc', 'protobufjs']);
  for (const f of files) {
    for (const { spec } of layerScan.specifiersOf(readFileSync(join(CONSOLE_DIR, f), 'utf8'))) {
      if (!spec.startsWith('node:') && !spec.startsWith('.') && !packages.has(spec)) violations.push(`src/console/${f} imports the package '${spec}'`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the browser files load nothing from the internet and ship in the package', () => {
  const uiDir = join(CONSOLE_DIR, 'ui');
  const files = readdirSync(uiDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
  assert.ok(files.includes('app.js'));
  const allowed = new Set(['preact', 'preact/hooks', 'htm', 'uplot']);
  for (const f of files) {
    const text = readFileSync(join(uiDir, f), 'utf8');
    assert.doesNotMatch(text, /https?:\/\//, `${f} names a URL`);
    for (const m of text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/g)) {
      const spec = (m[1] ?? m[2]) as string;
      assert.ok(spec.startsWith('./') || spec.startsWith('../') || allowed.has(spec), `${f} imports '${spec}'`);
    }
  }
  const pkg = JSON.parse(readFileSync(join(SRC_DIR, '..', 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
  assert.ok(pkg.files.includes('src/console/ui'));
  for (const dep of ['fastify', 'preact', 'htm', 'uplot', 'avsc', 'protobufjs']) assert.ok(pkg.dependencies[dep] !== undefined, dep);
});
