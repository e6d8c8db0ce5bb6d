/**
 * Plug-in loading: a worker's `plugin.path` directory holding a connector as a module file, an
 * npm-style package (package.json "exports") with a transform and a converter, and a module that
 * throws on import (logged, the others still load); the loaded plug-ins are listed by
 * GET /connector-plugins (connectorsOnly=false for transforms and converters) and move records.
 * Then `samsa connect-standalone` as a process loads a CommonJS package by its npm name
 * (`plugin.packages`) from the node_modules of its working directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConnectWorker } from '../../src/connect/worker.js';
import { captureChildOutput } from '../helpers/log-capture.js';
import { connectSuite, expectStatus, fileLines, http, waitFor } from './connect-helpers.js';

const suite = connectSuite('samsa-connect-plugins-');

/** A source emitting `count` records "<prefix>-<i>" once (JavaScript, as a plug-in author writes it). */
const sourceModule = (exportLine: string, className: string, prefix: string): string => `
const plugin = {
  type: 'source',
  className: '${className}',
  aliases: ['${className.slice(className.lastIndexOf('.') + 1)}'],
  version: '0.1.0',
  config: [{ name: 'count', type: 'INT', required: false, defaultValue: '5', documentation: 'How many records' }],
  taskConfigs: (c) => [{ topic: c.topic, count: c.count ?? '5' }],
  createSourceTask: () => {
    let cfg = {};
    let done = false;
    return {
      async start(config) { cfg = config; },
      async poll() {
        if (done) return [];
        done = true;
        return Array.from({ length: Number(cfg.count) }, (_, i) => ({ topic: cfg.topic, kafkaPartition: 0, key: null, value: '${prefix}-' + i, timestamp: null, headers: [], sourcePartition: { p: 0 }, sourceOffset: { i } }));
      },
      async stop() {},
    };
  },
};
${exportLine}
`;

test('plugin.path: a module file, an npm-style package with a transform and a converter; a broken one is skipped', { timeout: 120_000 }, async (t) => {
  const plugins = join(suite.dir, 'plugins');
  mkdirSync(join(plugins, 'upper-transform', 'lib'), { recursive: true });
  writeFileSync(join(plugins, 'counter-source.mjs'), sourceModule('export const counterSource = plugin;', 'com.example.CounterSource', 'n'));
  writeFileSync(join(plugins, 'upper-transform', 'package.json'), JSON.stringify({ name: 'upper-transform', version: '1.0.0', type: 'module', exports: { '.': { import: './lib/main.js' } } }));
  writeFileSync(
    join(plugins, 'upper-transform', 'lib', 'main.js'),
    `export default [
  { type: 'transformation', className: 'com.example.Upper', aliases: ['Upper'], create: () => (r) => ({ ...r, value: typeof r.value === 'string' ? r.value.toUpperCase() : r.value }) },
  { type: 'converter', className: 'com.example.TaggedConverter', create: (settings) => ({
      fromConnectData: (_topic, _schema, v) => (v === null ? null : Buffer.from((settings('tag') ?? 'tag') + ':' + String(v))),
      toConnectData: (_topic, b) => ({ schema: null, value: b === null ? null : b.toString() }),
  }) },
];
`,
  );
  writeFileSync(join(plugins, 'broken.mjs'), `throw new Error('boom at import');\n`);
  writeFileSync(join(plugins, 'README.txt'), 'not a plug-in\n');

  const logs: string[] = [];
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [suite.broker.bootstrap], port: 0, workerConfig: { 'plugin.path': plugins, 'offset.flush.interval.ms': '200', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' }, log: (m) => logs.push(m) });
  t.after(() => worker.close());
  assert.ok(logs.some((l) => /broken\.mjs not loaded: boom at import/.test(l)), logs.join('\n'));
  const classes = ((await http('GET', `${worker.url}/connector-plugins`)).json as { class: string; type: string }[]).map((p) => `${p.class}:${p.type}`);
  assert.ok(classes.includes('com.example.CounterSource:source'), classes.join(', '));
  assert.ok(!classes.some((c) => c.startsWith('com.example.Upper')));
  const all = ((await http('GET', `${worker.url}/connector-plugins?connectorsOnly=false`)).json as { class: string; type: string }[]).map((p) => `${p.class}:${p.type}`);
  assert.ok(all.includes('com.example.Upper:transformation') && all.includes('com.example.TaggedConverter:converter'), all.join(', '));

  const out = join(suite.dir, 'counted.txt');
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'counter', config: { 'connector.class': 'CounterSource', topic: 'counted', count: '4', transforms: 'up', 'transforms.up.type': 'Upper', 'value.converter': 'com.example.TaggedConverter', 'value.converter.tag': 'got' } }), 201, 'create the plug-in source');
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'counted-file', config: { 'connector.class': 'FileStreamSink', topics: 'counted', file: out } }), 201, 'create sink');
  await waitFor('four lines', () => fileLines(out).length >= 4);
  assert.deepEqual(fileLines(out), ['got:N-0', 'got:N-1', 'got:N-2', 'got:N-3']);
});

test('plugin.packages: samsa connect-standalone loads a CommonJS package by its npm name from its working directory', { timeout: 120_000 }, async () => {
  const cwd = join(suite.dir, 'app');
  const pkg = join(cwd, 'node_modules', 'samsa-plugin-hello');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'samsa-plugin-hello', version: '1.0.0', main: 'hello.js' }));
  writeFileSync(join(pkg, 'hello.js'), sourceModule('module.exports = { helloSource: plugin };', 'com.example.HelloSource', 'hello'));
  const out = join(suite.dir, 'hello.txt');
  writeFileSync(join(cwd, 'worker.properties'), `bootstrap.servers=${suite.broker.bootstrap}\nlisteners=http://127.0.0.1:0\nplugin.packages=samsa-plugin-hello\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.flush.interval.ms=100\n`);
  writeFileSync(join(cwd, 'hello.properties'), `name=hello\nconnector.class=com.example.HelloSource\ntopic=hello-topic\ncount=3\n`);
  writeFileSync(join(cwd, 'sink.properties'), `name=hello-sink\nconnector.class=FileStreamSink\ntopics=hello-topic\nfile=${out}\n`);
  const child = spawn(process.execPath, [resolve('dist/src/cli/samsa.js'), 'connect-standalone', 'worker.properties', 'hello.properties', 'sink.properties'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  captureChildOutput(`connect-standalone ${child.pid ?? '?'}`, () => text);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await waitFor(`three lines (${text})`, () => {
      if (child.exitCode !== null) throw new assert.AssertionError({ message: `worker exited: ${text}` });
      return fileLines(out).length >= 3;
    }, 60_000);
    assert.deepEqual(fileLines(out), ['hello-0', 'hello-1', 'hello-2']);
    assert.match(text, /loaded plug-ins: com\.example\.HelloSource/);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
