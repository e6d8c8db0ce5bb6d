/**
 * The bundled broker (scripts/bundle.mjs; issue 22 target 3, start-up time):
 * - `samsa start` loads dist/bundle only when it is at least as new as the last tsc build
 *   (dist/.tsbuildinfo), never with SAMSA_BUNDLE=0 (src/cli/bundled-entry.ts);
 * - a bundle built by the script serves a real client (kafkajs, gzip), every `import.meta.url` it
 *   rewrote names the compiled module the code came from (so package.json, the native addons,
 *   scan-worker.js and the console's files are found as from dist/src), and the native CRC32C
 *   addon located that way is loaded when it was built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import { bundledEntry } from '../../src/cli/bundled-entry.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { waitFor } from '../helpers/wire.js';

const { Kafka, CompressionTypes, logLevel } = kafkajs;

test('samsa start takes the bundle only when it is as new as the last tsc build, and never with SAMSA_BUNDLE=0', () => {
  const root = tempDir('samsa-bundle-entry-');
  try {
    const cliDir = join(root, 'dist', 'src', 'cli');
    mkdirSync(cliDir, { recursive: true });
    mkdirSync(join(root, 'dist', 'bundle'));
    const cli = pathToFileURL(`${cliDir}/`);
    const bundle = join(root, 'dist', 'bundle', 'start-command.js');
    const buildInfo = join(root, 'dist', '.tsbuildinfo');
    assert.equal(bundledEntry('start-command', cli, {}), null, 'no bundle built');

    writeFileSync(bundle, '');
    assert.equal(bundledEntry('start-command', cli, {})?.href, pathToFileURL(bundle).href, 'an installed package has no .tsbuildinfo: its bundle is used');

    const t0 = Date.now() / 1000 - 100;
    writeFileSync(buildInfo, '{}');
    utimesSync(buildInfo, t0, t0);
    utimesSync(bundle, t0 + 10, t0 + 10);
    assert.equal(bundledEntry('start-command', cli, {})?.href, pathToFileURL(bundle).href, 'bundled after the last tsc build');
    assert.equal(bundledEntry('start-command', cli, { SAMSA_BUNDLE: '0' }), null, 'SAMSA_BUNDLE=0');

    utimesSync(buildInfo, t0 + 20, t0 + 20);
    assert.equal(bundledEntry('start-command', cli, {}), null, 'tsc ran after the bundle: the compiled modules, not a stale bundle');
  } finally {
    removeDir(root);
  }
});

test('a broker bundled by scripts/bundle.mjs serves kafkajs; every path relative to a bundled module resolves', { timeout: 240_000 }, async () => {
  // Inside the repository: the bundle imports node_modules packages from where it is.
  const out = resolve(`dist/bundle-test-${process.pid}`);
  const dataDir = tempDir();
  let broker: BrokerProcess | undefined;
  try {
    const built = await runProcess(process.execPath, ['scripts/bundle.mjs', '--outdir', out], { timeoutMs: 180_000 });
    assert.equal(built.code, 0, `${built.stdout.toString()}${built.stderr}`);

    const rewritten = new Set<string>();
    for (const f of readdirSync(out).filter((n) => n.endsWith('.js'))) {
      for (const m of readFileSync(join(out, f), 'utf8').matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)) rewritten.add(m[1] as string);
    }
    // version.ts, crc32c.ts, record-scan-native.ts, scan-pool.ts, logger.ts, codec-framing.ts at least.
    assert.ok(rewritten.size >= 6, `rewritten: ${[...rewritten].join(', ')}`);
    for (const rel of rewritten) {
      assert.match(rel, /^\.\.\/src\/.+\.js$/, rel);
      assert.ok(existsSync(join(out, rel)), `${rel} (relative to the bundle) exists`);
    }
    assert.ok(rewritten.has('../src/protocol/records/crc32c.js'));

    const runner = join(out, 'run.mjs');
    writeFileSync(runner, "import { runStart } from './start-command.js';\nprocess.exitCode = await runStart(process.argv.slice(3));\n");
    broker = await startBrokerProcess({ cli: runner, dataDir, overrides: { 'num.partitions': 1 }, startTimeoutMs: 60_000 });
    const pid = broker.child.pid as number;

    const kafka = new Kafka({ clientId: 'bundle-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bundled', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'bundled', compression: CompressionTypes.GZIP, messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }, { value: 'three' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'bundle-test' });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'bundled', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
      await waitFor(() => seen.length >= 3, 60_000, 'three records consumed');
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(seen, ['one', 'two', 'three']);

    if (existsSync('native/crc32c/build/Release/samsa_crc32c.node') && existsSync(`/proc/${pid}/maps`)) {
      assert.match(readFileSync(`/proc/${pid}/maps`, 'utf8'), /samsa_crc32c\.node/, 'the native CRC32C addon, found relative to its module, is loaded');
    }
  } finally {
    await broker?.stop();
    removeDir(dataDir);
    rmSync(out, { recursive: true, force: true });
  }
});
