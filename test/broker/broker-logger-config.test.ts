/**
 * Log levels at runtime through the BROKER_LOGGER config resource (type 8, KIP-412), as Kafka's
 * kafka-configs.sh --entity-type broker-loggers does: @platformatic/kafka's Admin and kafkajs
 * describe the loggers and their levels; IncrementalAlterConfigs SET turns a component's debug
 * lines on (seen in the broker's log), DELETE returns it to the root level; Kafka's errors for an
 * unknown logger, a bad level, DELETE of root, APPEND/SUBTRACT, another broker's id; validateOnly
 * applies nothing; legacy AlterConfigs refuses the resource. log.level and log.levels set the
 * levels from the properties.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { WireClient } from '../helpers/wire.js';
import { logRecords } from '../helpers/log-lines.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const BROKER_LOGGER = 8;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const INVALID_CONFIG = 40;
const INVALID_REQUEST = 42;
const DYNAMIC_BROKER_LOGGER_CONFIG = 6;

let broker: RunningBroker;
const lines: string[] = [];
let admin: Admin;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'node.id': 3 }, logger: { sink: (l) => void lines.push(l), level: 'info' } });
  admin = new Admin({ clientId: 'logger-admin', bootstrapBrokers: [broker.bootstrap] });
});

after(async () => {
  await admin?.close();
  await broker?.stop();
});

/** Sends a frame over socket.request.max.bytes: the broker logs (network, DEBUG) and closes the connection. */
async function oversizedFrame(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect(broker.port, '127.0.0.1', () => s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff])));
    s.on('error', reject);
    s.on('close', () => resolve());
    s.resume();
  });
}

const networkDebugLines = (): number => logRecords(lines).filter((r) => r.level === 'debug' && r.component === 'network' && /closing connection/.test(r.msg)).length;

async function levels(): Promise<Map<string, { value: string; source: number; readOnly: boolean }>> {
  const [d] = await admin.describeConfigs({ resources: [{ resourceType: BROKER_LOGGER, resourceName: '3' }] });
  assert.ok(d);
  return new Map(d.configs.map((c) => [c.name, { value: c.value ?? '', source: c.configSource, readOnly: c.readOnly }]));
}

async function incremental(resourceName: string, configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null }> {
  const c = await WireClient.connect(broker.port);
  try {
    const res = await c.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 1, { resources: [{ resourceType: BROKER_LOGGER, resourceName, configs }], validateOnly });
    return res.responses[0] as { errorCode: number; errorMessage: string | null };
  } finally {
    c.close();
  }
}

test('DescribeConfigs lists the loggers with their levels; IncrementalAlterConfigs SET and DELETE change them at runtime', { timeout: 60_000 }, async () => {
  let l = await levels();
  assert.deepEqual(l.get('root'), { value: 'INFO', source: DYNAMIC_BROKER_LOGGER_CONFIG, readOnly: false });
  for (const name of ['network', 'group-coordinator', 'txn-coordinator', 'request', 'log-manager']) assert.equal(l.get(name)?.value, 'INFO', `${name} is listed`);

  await oversizedFrame();
  assert.equal(networkDebugLines(), 0, 'network logs at info');

  await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER_LOGGER, resourceName: '3', configs: [{ name: 'network', configOperation: SET, value: 'DEBUG' }] }] });
  l = await levels();
  assert.equal(l.get('network')?.value, 'DEBUG');
  assert.equal(l.get('root')?.value, 'INFO');
  assert.equal(l.get('group-coordinator')?.value, 'INFO');
  await oversizedFrame();
  assert.equal(networkDebugLines(), 1, 'the network component now logs at debug');
  assert.ok(logRecords(lines).some((r) => r.level === 'info' && /^Log levels changed \(BROKER_LOGGER 3\): network=DEBUG/.test(r.msg)), 'the change is logged');

  // kafkajs sees the same (a second client's DescribeConfigs on resource type 8).
  const kafka = new Kafka({ clientId: 'logger-kjs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const kadmin = kafka.admin();
  await kadmin.connect();
  try {
    const d = await kadmin.describeConfigs({ includeSynonyms: false, resources: [{ type: BROKER_LOGGER, name: '3', configNames: ['network', 'root'] }] });
    assert.deepEqual(d.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]).sort(), [['network', 'DEBUG'], ['root', 'INFO']]);
  } finally {
    await kadmin.disconnect();
  }

  await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER_LOGGER, resourceName: '3', configs: [{ name: 'network', configOperation: DELETE }] }] });
  assert.equal((await levels()).get('network')?.value, 'INFO', 'DELETE: back to the root level');
  await oversizedFrame();
  assert.equal(networkDebugLines(), 1, 'no more debug lines');

  await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER_LOGGER, resourceName: '3', configs: [{ name: 'root', configOperation: SET, value: 'debug' }] }] });
  l = await levels();
  assert.equal(l.get('root')?.value, 'DEBUG');
  assert.equal(l.get('network')?.value, 'DEBUG', 'components follow the root level');
  await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER_LOGGER, resourceName: '3', configs: [{ name: 'root', configOperation: SET, value: 'INFO' }] }] });
});

test("Kafka's errors: unknown logger, bad level, DELETE root, APPEND/SUBTRACT, another broker id; validateOnly applies nothing", { timeout: 60_000 }, async () => {
  const cases: [string, { name: string; configOperation: number; value: string | null }[], number, RegExp][] = [
    ['3', [{ name: 'no.such.logger', configOperation: SET, value: 'DEBUG' }], INVALID_CONFIG, /^Logger no\.such\.logger does not exist!$/],
    ['3', [{ name: 'network', configOperation: SET, value: 'VERBOSE' }], INVALID_CONFIG, /^Cannot set the log level of network to VERBOSE as it is not a supported log level\. Valid log levels are DEBUG,ERROR,FATAL,INFO,TRACE,WARN$/],
    ['3', [{ name: 'root', configOperation: DELETE, value: null }], INVALID_REQUEST, /^Removing the log level of the root logger is not allowed$/],
    ['3', [{ name: 'network', configOperation: APPEND, value: 'DEBUG' }], INVALID_REQUEST, /^APPEND operation is not allowed for the BROKER_LOGGER resource$/],
    ['3', [{ name: 'network', configOperation: SUBTRACT, value: 'DEBUG' }], INVALID_REQUEST, /^SUBTRACT operation is not allowed for the BROKER_LOGGER resource$/],
    ['7', [{ name: 'network', configOperation: SET, value: 'DEBUG' }], INVALID_REQUEST, /^Unexpected broker id, expected 3, but received 7$/],
  ];
  for (const [name, configs, code, message] of cases) {
    const r = await incremental(name, configs);
    assert.equal(r.errorCode, code, `${JSON.stringify(configs)}: ${r.errorMessage}`);
    assert.match(r.errorMessage ?? '', message);
  }
  // A failing operation applies none of the resource's operations.
  assert.equal((await incremental('3', [{ name: 'network', configOperation: SET, value: 'TRACE' }, { name: 'nope', configOperation: SET, value: 'DEBUG' }])).errorCode, INVALID_CONFIG);
  assert.equal((await levels()).get('network')?.value, 'INFO');
  const v = await incremental('3', [{ name: 'network', configOperation: SET, value: 'TRACE' }], true);
  assert.equal(v.errorCode, 0);
  assert.equal((await levels()).get('network')?.value, 'INFO', 'validateOnly changed nothing');

  // Legacy AlterConfigs does not take BROKER_LOGGER (as Kafka).
  const c = await WireClient.connect(broker.port);
  try {
    const res = await c.request<{ responses: { errorCode: number }[] }>(33, 2, { resources: [{ resourceType: BROKER_LOGGER, resourceName: '3', configs: [{ name: 'network', value: 'DEBUG' }] }], validateOnly: false });
    assert.equal(res.responses[0]?.errorCode, INVALID_REQUEST);
  } finally {
    c.close();
  }
});

test('log.level and log.levels in the properties set the root and component levels', { timeout: 60_000 }, async () => {
  const own: string[] = [];
  const b = await startBroker({ port: 0, config: { 'log.level': 'WARN', 'log.levels': 'network=debug,cluster=error' }, logger: { sink: (l) => void own.push(l), level: 'info' } });
  const a = new Admin({ clientId: 'logger-props', bootstrapBrokers: [b.bootstrap] });
  try {
    const [d] = await a.describeConfigs({ resources: [{ resourceType: BROKER_LOGGER, resourceName: '1' }] });
    const l = new Map(d?.configs.map((c) => [c.name, c.value]));
    assert.equal(l.get('root'), 'WARN');
    assert.equal(l.get('network'), 'DEBUG');
    assert.equal(l.get('group-coordinator'), 'WARN');
    assert.equal(logRecords(own).filter((r) => r.level === 'info').length, 0, 'no info line at root level warn');
  } finally {
    await a.close();
    await b.stop();
  }
});

test('samsa configs --entity-type broker-loggers describes and alters the levels', { timeout: 60_000 }, async () => {
  let r = await samsaCli(['configs', '--entity-type', 'broker-loggers', '--entity-name', '3', '--alter', '--add-config', 'request=DEBUG'], { bootstrap: broker.bootstrap });
  assertOk(r, 'alter');
  assert.match(r.stdout, /Completed updating config for broker-logger 3/);
  r = await samsaCli(['configs', '--entity-type', 'broker-loggers', '--entity-name', '3', '--describe'], { bootstrap: broker.bootstrap });
  assertOk(r, 'describe');
  assert.match(r.stdout, /^ {2}request=DEBUG /m);
  assert.match(r.stdout, /^ {2}root=INFO /m);
  r = await samsaCli(['configs', '--entity-type', 'broker-loggers', '--entity-name', '3', '--alter', '--delete-config', 'request'], { bootstrap: broker.bootstrap });
  assertOk(r, 'delete');
  assert.equal((await levels()).get('request')?.value, 'INFO');
});
