/**
 * The Logger (common/logger.ts): a sink and a level per logger, tags from child(), and the same
 * control-character escaping as the process logger, for messages and tags alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, log, setLogSink } from '../../src/common/logger.js';

const LINE = /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] /;

test('a Logger writes to its own sink from its own level; children add tags and share both', () => {
  const lines: string[] = [];
  const root = new Logger({ sink: (l) => void lines.push(l), level: 'info' });
  const broker = root.child('broker 7');
  const group = broker.child('group-coordinator');
  root.info('root line');
  broker.warn('broker line');
  group.info('group line');
  group.debug('not written at info');
  assert.deepEqual(
    lines.map((l) => l.replace(LINE, '')),
    ['INFO root line\n', 'WARN [broker 7] broker line\n', 'INFO [broker 7] [group-coordinator] group line\n'],
  );
  assert.ok(lines.every((l) => LINE.test(l)));
  assert.equal(group.enabled('debug'), false);
  broker.setLevel('debug');
  assert.equal(group.enabled('debug'), true, 'the level is shared with parent and children');
  group.debug('now written');
  assert.equal(lines.at(-1)?.replace(LINE, ''), 'DEBUG [broker 7] [group-coordinator] now written\n');
});

test('a Logger escapes control characters in messages, tags and error texts, keeping stack frames', () => {
  const lines: string[] = [];
  const logger = new Logger({ sink: (l) => void lines.push(l), level: 'debug' }).child('evil\ntag');
  logger.info('client x\nERROR forged\r\u001b[31m\u0085\u2028');
  logger.error('failed', new Error('bad\nERROR forged'));
  assert.equal(lines[0]?.replace(LINE, ''), 'INFO [evil\\ntag] client x\\nERROR forged\\r\\x1b[31m\\x85\\u2028\n');
  const err = (lines[1] ?? '').replace(LINE, '');
  assert.ok(err.startsWith('ERROR [evil\\ntag] failed: Error: bad\\nERROR forged\n    at '), err);
  assert.ok(err.split('\n').slice(1).every((l) => l === '' || /^\s+at /.test(l)), 'only stack frames follow');
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
  assert.deepEqual(processLines.map((l) => l.replace(LINE, '')), ['INFO [broker 1] to the process sink\n', 'WARN process logger\n']);
  assert.deepEqual(own.map((l) => l.replace(LINE, '')), ['INFO [broker 2] to its own sink\n']);
});
