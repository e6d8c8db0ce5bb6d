/**
 * Must-show 2 of issue 20: Connect's REST API, endpoint by endpoint, on a standalone worker in
 * front of a real broker: plug-ins and config validation, create (201/409), list (with expand),
 * info, config, tasks, statuses, pause/resume, stop, offsets (GET, PATCH refused unless STOPPED,
 * DELETE = reset: the source reads its file again), sink offsets from the consumer group, a
 * failed task (a TypeScript plug-in registered by the test) restarted through the API, active
 * topics and their reset, delete (204, then 404), request body and connector count bounds.
 */
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ConnectorPlugin, SinkTask } from '../../src/connect/api.js';
import { PluginRegistry } from '../../src/connect/plugins.js';
import { ConnectWorker } from '../../src/connect/worker.js';
import { connectSuite, expectStatus, fileLines, http, waitFor } from './connect-helpers.js';

const suite = connectSuite('samsa-connect-rest-');

/** A sink plug-in whose first start fails (a task to restart through the API). */
let starts = 0;
const flakySink: ConnectorPlugin = {
  className: 'test.FlakySinkConnector',
  aliases: ['FlakySink'],
  type: 'sink',
  version: '0.1',
  config: [],
  taskConfigs: () => [{}],
  createSinkTask: (): SinkTask => ({
    async start() {
      starts++;
      if (starts === 1) throw new Error('first start fails');
    },
    async put() {},
    async flush() {},
    async stop() {},
  }),
};

test('the Connect REST API, endpoint by endpoint', { timeout: 180_000 }, async (t) => {
  const plugins = new PluginRegistry();
  plugins.register(flakySink);
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [suite.broker.bootstrap], port: 0, plugins, maxConnectors: 4, maxRequestBytes: 64 * 1024, workerConfig: { 'offset.flush.interval.ms': '100', 'offset.storage.file.filename': join(suite.dir, 'offsets.json'), 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' }, log: () => undefined });
  t.after(() => worker.close());
  const u = worker.url;
  type Status = { name: string; connector: { state: string; worker_id: string }; tasks: { id: number; state: string; worker_id: string; trace?: string }[]; type: string };
  const status = async (name: string): Promise<Status> => (await http('GET', `${u}/connectors/${name}/status`)).json as Status;

  expectStatus(await http('GET', `${u}/`), 200, 'root');
  const pluginsList = (await http('GET', `${u}/connector-plugins`)).json as { class: string; type: string }[];
  assert.ok(pluginsList.some((p) => p.class === 'org.apache.kafka.connect.file.FileStreamSourceConnector' && p.type === 'source'));
  assert.ok(pluginsList.some((p) => p.class === 'io.confluent.connect.jdbc.JdbcSinkConnector' && p.type === 'sink'));
  const v = await http('PUT', `${u}/connector-plugins/FileStreamSource/config/validate`, { 'connector.class': 'FileStreamSource', topic: 't' });
  expectStatus(v, 200, 'validate');
  const vj = v.json as { name: string; error_count: number; configs: { value: { name: string; errors: string[] } }[] };
  assert.equal(vj.name, 'org.apache.kafka.connect.file.FileStreamSourceConnector');
  assert.equal(vj.error_count, 1);
  assert.deepEqual(vj.configs.find((c) => c.value.name === 'file')?.value.errors, ['Missing required configuration "file" which has no default value.']);
  expectStatus(await http('PUT', `${u}/connector-plugins/NoSuchConnector/config/validate`, {}), 404, 'validate unknown');

  const src = join(suite.dir, 'in.txt');
  const out = join(suite.dir, 'out.txt');
  writeFileSync(src, 'a\nb\nc\n');
  const srcConfig = { 'connector.class': 'FileStreamSource', file: src, topic: 'rest-lines', 'tasks.max': '1' };
  const created = await http('POST', `${u}/connectors`, { name: 'src', config: srcConfig });
  expectStatus(created, 201, 'create');
  assert.deepEqual(created.json, { name: 'src', config: { ...srcConfig, name: 'src' }, tasks: [{ connector: 'src', task: 0 }], type: 'source' });
  const again = await http('POST', `${u}/connectors`, { name: 'src', config: srcConfig });
  expectStatus(again, 409, 'create twice');
  assert.deepEqual(again.json, { error_code: 409, message: 'Connector src already exists' });
  const bad = await http('POST', `${u}/connectors`, { name: 'bad', config: { 'connector.class': 'NoSuchConnector' } });
  expectStatus(bad, 400, 'unknown class');
  assert.equal((bad.json as { error_code: number }).error_code, 400);
  expectStatus(await http('POST', `${u}/connectors`, { config: srcConfig }), 400, 'no name');
  expectStatus(await http('PUT', `${u}/connectors/sink/config`, { 'connector.class': 'FileStreamSink', file: out, topics: 'rest-lines' }), 201, 'put new');
  expectStatus(await http('PUT', `${u}/connectors/sink/config`, { 'connector.class': 'FileStreamSink', file: out, topics: 'rest-lines', 'tasks.max': '1' }), 200, 'put existing');
  await waitFor('3 lines through', () => fileLines(out).length >= 3);

  assert.deepEqual((await http('GET', `${u}/connectors`)).json, ['sink', 'src']);
  const expanded = (await http('GET', `${u}/connectors?expand=status&expand=info`)).json as Record<string, { status: Status; info: { type: string } }>;
  assert.equal(expanded['src']?.info.type, 'source');
  assert.equal(expanded['sink']?.status.connector.state, 'RUNNING');
  assert.deepEqual((await http('GET', `${u}/connectors/src/config`)).json, { ...srcConfig, name: 'src' });
  assert.deepEqual((await http('GET', `${u}/connectors/src/tasks`)).json, [{ id: { connector: 'src', task: 0 }, config: { file: src, topic: 'rest-lines', 'batch.size': '2000' } }]);
  const st = await status('src');
  assert.deepEqual([st.name, st.connector.state, st.type, st.tasks.map((x) => [x.id, x.state])], ['src', 'RUNNING', 'source', [[0, 'RUNNING']]]);
  assert.equal(st.connector.worker_id, u.replace('http://', ''));
  assert.deepEqual(((await http('GET', `${u}/connectors/src/tasks/0/status`)).json as { state: string }).state, 'RUNNING');
  expectStatus(await http('GET', `${u}/connectors/src/tasks/7/status`), 404, 'no task 7');
  const missing = await http('GET', `${u}/connectors/nope`);
  assert.deepEqual([missing.status, missing.json], [404, { error_code: 404, message: 'Connector nope not found' }]);

  // pause / resume
  expectStatus(await http('PUT', `${u}/connectors/src/pause`), 202, 'pause');
  await waitFor('src PAUSED', async () => {
    const s = await status('src');
    return s.connector.state === 'PAUSED' && s.tasks[0]?.state === 'PAUSED';
  });
  expectStatus(await http('PUT', `${u}/connectors/src/resume`), 202, 'resume');
  await waitFor('src RUNNING', async () => (await status('src')).tasks[0]?.state === 'RUNNING');
  appendFileSync(src, 'd\n');
  await waitFor('4 lines through', () => fileLines(out).length >= 4);

  // offsets (KIP-875)
  const offsets = await waitFor('the source offset', async () => {
    const o = (await http('GET', `${u}/connectors/src/offsets`)).json as { offsets: { partition: unknown; offset: { position: number } }[] };
    return o.offsets[0]?.offset.position === 8 ? o : null;
  });
  assert.deepEqual(offsets, { offsets: [{ partition: { filename: src }, offset: { position: 8 } }] });
  const refused = await http('DELETE', `${u}/connectors/src/offsets`);
  expectStatus(refused, 400, 'reset while running');
  assert.match((refused.json as { message: string }).message, /must be in the STOPPED state/);
  expectStatus(await http('PUT', `${u}/connectors/src/stop`), 204, 'stop');
  await waitFor('src STOPPED with no tasks', async () => {
    const s = await status('src');
    return s.connector.state === 'STOPPED' && s.tasks.length === 0;
  });
  const reset = await http('DELETE', `${u}/connectors/src/offsets`);
  expectStatus(reset, 200, 'reset');
  assert.deepEqual(reset.json, { message: 'The offsets for this connector have been reset successfully' });
  assert.deepEqual((await http('GET', `${u}/connectors/src/offsets`)).json, { offsets: [] });
  const patched = await http('PATCH', `${u}/connectors/src/offsets`, { offsets: [{ partition: { filename: src }, offset: { position: 2 } }] });
  expectStatus(patched, 200, 'alter');
  assert.deepEqual(patched.json, { message: 'The offsets for this connector have been altered successfully' });
  expectStatus(await http('PUT', `${u}/connectors/src/resume`), 202, 'resume after stop');
  // From byte 2: b, c, d once more.
  await waitFor('7 lines through', () => fileLines(out).length >= 7);
  assert.deepEqual(fileLines(out), ['a', 'b', 'c', 'd', 'b', 'c', 'd']);
  const sinkOffsets = await waitFor('the sink offsets', async () => {
    const o = (await http('GET', `${u}/connectors/sink/offsets`)).json as { offsets: { offset: { kafka_offset: number } }[] };
    return o.offsets[0]?.offset.kafka_offset === 7 ? o : null;
  });
  assert.deepEqual(sinkOffsets, { offsets: [{ partition: { kafka_topic: 'rest-lines', kafka_partition: 0 }, offset: { kafka_offset: 7 } }] });

  // a failed task, restarted
  expectStatus(await http('POST', `${u}/connectors`, { name: 'flaky', config: { 'connector.class': 'FlakySink', topics: 'rest-lines' } }), 201, 'create flaky');
  const failed = await waitFor('flaky task FAILED', async () => {
    const s = await status('flaky');
    return s.tasks[0]?.state === 'FAILED' ? s : null;
  });
  assert.match(failed.tasks[0]?.trace ?? '', /first start fails/);
  const r = await http('POST', `${u}/connectors/flaky/restart?includeTasks=true&onlyFailed=true`);
  expectStatus(r, 202, 'restart failed tasks');
  await waitFor('flaky task RUNNING again', async () => (await status('flaky')).tasks[0]?.state === 'RUNNING');
  assert.equal(starts, 2);
  expectStatus(await http('POST', `${u}/connectors/flaky/tasks/0/restart`), 204, 'restart one task');
  await waitFor('flaky task started a third time', () => starts === 3);
  expectStatus(await http('POST', `${u}/connectors/flaky/restart`), 204, 'restart the connector');

  // active topics
  assert.deepEqual((await http('GET', `${u}/connectors/sink/topics`)).json, { sink: { topics: ['rest-lines'] } });
  expectStatus(await http('PUT', `${u}/connectors/sink/topics/reset`), 202, 'topics reset');
  assert.deepEqual((await http('GET', `${u}/connectors/sink/topics`)).json, { sink: { topics: [] } });

  // bounds
  expectStatus(await http('POST', `${u}/connectors`, { name: 'big', config: { 'connector.class': 'FileStreamSink', file: out, topics: 'x', pad: 'x'.repeat(70_000) } }), 413, 'body too large');
  expectStatus(await http('POST', `${u}/connectors`, { name: 'fourth', config: { 'connector.class': 'FileStreamSink', file: join(suite.dir, 'x.txt'), topics: 'rest-lines' } }), 201, 'fourth');
  const fifth = await http('POST', `${u}/connectors`, { name: 'fifth', config: { 'connector.class': 'FileStreamSink', file: join(suite.dir, 'x.txt'), topics: 'rest-lines' } });
  expectStatus(fifth, 400, 'over maxConnectors');

  // delete
  expectStatus(await http('DELETE', `${u}/connectors/flaky`), 204, 'delete');
  expectStatus(await http('GET', `${u}/connectors/flaky`), 404, 'deleted');
  expectStatus(await http('DELETE', `${u}/connectors/flaky`), 404, 'delete twice');
});
