/**
 * The Logger (common/logger.ts) on pino: JSON lines with time, level, component and msg; a sink
 * and a level set per broker logger; per-component levels; control characters escaped in
 * messages and error texts; pretty lines on request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, log, setLogSink } from '../../src/common/logger.js';
import { describeRecord, logRecords } from '../helpers/log-lines.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('a Logger writes JSON lines to its own sink; broker N is a field, children are components', () => {
  const lines: string[] = [];
  const root = new Logger({ sink: (l) => void lines.push(l), level: 'info' });
  const broker = root.child('broker 7');
  const group = broker.child('group-coordinator');
  root.info('root line');
  broker.warn('broker line');
  group.info('group line', { group: 'g1' });
  group.debug('not written at info');
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')), 'one line each');
  const recs = logRecords(lines.join(''));
  assert.deepEqual(recs.map(describeRecord), ['INFO root line', 'WARN [broker 7] broker line', 'INFO [broker 7] [group-coordinator] group line']);
  assert.ok(recs.every((r) => ISO.test(r.time)), JSON.stringify(recs));
  assert.equal(recs[2]?.['group'], 'g1', 'context fields are kept');
  assert.deepEqual(Object.keys(recs[2] ?? {}), ['level', 'time', 'broker', 'component', 'group', 'msg']);
});

test('levels: per broker logger, per component (dotted, inherited), changed at runtime', () => {
  const lines: string[] = [];
  const root = new Logger({ sink: (l) => void lines.push(l), level: 'info' });
  const b1 = root.child('broker 1');
  const b2 = root.child('broker 2');
  const cluster = b1.child('cluster');
  const controller = cluster.child('controller');
  assert.equal(controller.component, 'cluster.controller');
  assert.equal(controller.enabled('debug'), false);
  b1.setLevel('debug', 'cluster');
  assert.equal(controller.enabled('debug'), true, 'cluster.controller inherits cluster');
  assert.equal(b1.child('network').enabled('debug'), false, 'other components keep the root level');
  b1.setLevel('warn', 'cluster.controller');
  assert.equal(controller.enabled('info'), false);
  assert.equal(cluster.enabled('debug'), true);
  b1.setLevel('debug');
  assert.equal(b1.child('network').enabled('debug'), true);
  assert.equal(b2.child('network').enabled('debug'), false, "broker 2's levels are its own");
  assert.deepEqual(b1.levelSettings(), [['root', 'debug'], ['cluster', 'debug'], ['cluster.controller', 'warn']]);
  b1.setLevel(null, 'cluster.controller');
  assert.equal(b1.levelOf('cluster.controller'), 'debug');
});

test('a Logger escapes control characters in messages and error texts, keeping stack frames', () => {
  const lines: string[] = [];
  const logger = new Logger({ sink: (l) => void lines.push(l), level: 'debug' }).child('evil\ntag');
  logger.info('client x\nERROR forged\r\u001b[31m\u0085\u2028');
  logger.error('failed', new Error('bad\nERROR forged'));
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/.test(l) && l.indexOf('\n') === l.length - 1, JSON.stringify(l));
  const [info, error] = logRecords(lines.join(''));
  assert.equal(info?.component, 'evil\\ntag');
  assert.equal(info?.msg, 'client x\\nERROR forged\\r\\x1b[31m\\x85\\u2028');
  assert.equal(error?.msg, 'failed');
  assert.equal(error?.err?.message, 'bad\\nERROR forged');
  const stack = error?.err?.stack ?? '';
  assert.ok(stack.startsWith('Error: bad\\nERROR forged\n    at '), stack);
  assert.ok(stack.split('\n').slice(1).every((l) => /^\s+at /.test(l)), 'only stack frames follow');
});

test('a Logger without a sink writes to the process sink; other loggers do not', () => {
  const processLines: string[] = [];
  const own: string[] = [];
  const previous = setLogSink((l) => void processLines.push(l));
  try {
    new Logger({ level: 'info' }).child('broker 1').info('to the process sink');
    new Logger({ sink: (l) => void own.push(l), level: 'info' }).child('broker 2').info('to its own sink');
    log.warn('process logger');
  } finally {
    setLogSink(previous);
  }
  assert.deepEqual(logRecords(processLines).map(describeRecord), ['INFO [broker 1] to the process sink', 'WARN process logger']);
  assert.deepEqual(logRecords(own).map(describeRecord), ['INFO [broker 2] to its own sink']);
});

test('format pretty: one readable line per message (pino-pretty), tags first', () => {
  const lines: string[] = [];
  const logger = new Logger({ sink: (l) => void lines.push(l), level: 'info', format: 'pretty' }).child('broker 3').child('network');
  logger.info('listening on 127.0.0.1:9092');
  assert.match(lines[0] ?? '', /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[broker 3\] \[network\] listening on 127\.0\.0\.1:9092\n$/);
});
