/**
 * The console is a Kafka client (scripts/layer-rules.mjs: console-is-a-kafka-client): src/console/
 * imports only src/client, src/common and src/protocol, and of the packages only fastify; never
 * the broker, storage or coordinators, so it works against any Kafka-protocol cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SRC_DIR, layerScan, violationsOf } from '../helpers/layers.js';

const CONSOLE_DIR = join(SRC_DIR, 'console');

test('src/console/ imports only src/client, src/common, src/protocol, fastify and node: built-ins', () => {
  const files = readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('server.ts'));
  const violations = violationsOf('console-is-a-kafka-client');
  for (const f of files) {
    for (const { spec } of layerScan.specifiersOf(readFileSync(join(CONSOLE_DIR, f), 'utf8'))) {
      if (!spec.startsWith('node:') && !spec.startsWith('.') && spec !== 'fastify') violations.push(`src/console/${f} imports the package '${spec}'`);
    }
  }
  assert.deepEqual(violations, []);
});
