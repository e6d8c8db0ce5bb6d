/**
 * `samsa connect-standalone worker.properties connector.properties connector.json` as a real
 * process: Kafka-style properties files (bootstrap.servers, listeners, converters, the offsets
 * file) and connector files in both formats; lines flow from a file to a file; SIGTERM stops it
 * with exit code 0, leaving the source offset in the offsets file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { captureChildOutput } from '../helpers/log-capture.js';
import { connectSuite, http, waitFor } from './connect-helpers.js';

const suite = connectSuite('samsa-connect-cli-');

test('samsa connect-standalone with Kafka-style properties files moves a file through a topic', { timeout: 120_000 }, async () => {
  const src = join(suite.dir, 'in.txt');
  const dst = join(suite.dir, 'out.txt');
  const offsets = join(suite.dir, 'connect.offsets');
  writeFileSync(src, 'one\ntwo\nthree\n');
  writeFileSync(join(suite.dir, 'worker.properties'), `# a standalone worker\nbootstrap.servers=${suite.broker.bootstrap}\nlisteners=http://127.0.0.1:0\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename=${offsets}\noffset.flush.interval.ms=100\n`);
  writeFileSync(join(suite.dir, 'source.properties'), `name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile=${src}\ntopic=connect-test\n`);
  writeFileSync(join(suite.dir, 'sink.json'), JSON.stringify({ name: 'local-file-sink', config: { 'connector.class': 'FileStreamSink', 'tasks.max': '1', file: dst, topics: 'connect-test' } }));
  const child = spawn(process.execPath, [resolve('dist/src/cli/samsa.js'), 'connect-standalone', join(suite.dir, 'worker.properties'), join(suite.dir, 'source.properties'), join(suite.dir, 'sink.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  captureChildOutput(`connect-standalone ${child.pid ?? '?'}`, () => out);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const url = await waitFor(`startup (${out})`, () => /Connect worker listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000);
    await waitFor('three lines in the sink file', () => {
      try {
        return readFileSync(dst, 'utf8') === 'one\ntwo\nthree\n';
      } catch {
        return false;
      }
    });
    assert.deepEqual((await http('GET', `${url}/connectors`)).json, ['local-file-sink', 'local-file-source']);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  assert.deepEqual(JSON.parse(readFileSync(offsets, 'utf8')), [[JSON.stringify(['local-file-source', { filename: src }]), { position: 14 }]]);
});
