import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, errorInfo, errorName, isKnownErrorCode, isRetriable } from '../../src/common/error-codes.js';
import { KafkaError, errorCodeOf, isKafkaError } from '../../src/common/kafka-error.js';
import { ConfigError, CorruptIndexError, CorruptRecordError, LogDirFailureError } from '../../src/common/errors.js';

test('error codes are unique, contiguous from -1 and named after their keys', () => {
  const entries = Object.entries(ErrorCode);
  const codes = entries.map(([, c]) => c).sort((a, b) => a - b);
  assert.equal(new Set(codes).size, codes.length);
  assert.equal(codes[0], -1);
  codes.forEach((c, i) => assert.equal(c, i - 1, `gap before code ${c}`));
  for (const [name, code] of entries) {
    assert.deepEqual(errorInfo(code), { name, code, retriable: isRetriable(code) });
    assert.equal(errorName(code), name);
    assert.ok(isKnownErrorCode(code));
  }
});

test('well-known codes and retriable flags', () => {
  assert.equal(ErrorCode.NONE, 0);
  assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
  assert.equal(ErrorCode.CORRUPT_MESSAGE, 2);
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.MESSAGE_TOO_LARGE, 10);
  assert.equal(ErrorCode.RECORD_LIST_TOO_LARGE, 18);
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
  assert.equal(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 76);
  assert.equal(ErrorCode.INVALID_RECORD, 87);
  assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100);
  assert.equal(ErrorCode.TRANSACTION_ABORTABLE, 120);
  assert.equal(ErrorCode.REBOOTSTRAP_REQUIRED, 129);
  for (const c of [ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER,
    ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_TOPIC_ID]) {
    assert.equal(errorInfo(c).retriable, true, errorName(c));
  }
  for (const c of [ErrorCode.NONE, ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.MESSAGE_TOO_LARGE,
    ErrorCode.INVALID_RECORD, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.PRODUCER_FENCED,
    ErrorCode.UNSUPPORTED_VERSION, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.TOPIC_AUTHORIZATION_FAILED]) {
    assert.equal(errorInfo(c).retriable, false, errorName(c));
  }
});

test('unknown codes', () => {
  assert.deepEqual(errorInfo(9999), { name: 'UNKNOWN_9999', code: 9999, retriable: false });
  assert.equal(isKnownErrorCode(9999), false);
});

test('KafkaError carries code, retriable flag and cause', () => {
  const cause = new Error('disk');
  const e = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'boom', { cause });
  assert.ok(e instanceof Error);
  assert.ok(isKafkaError(e));
  assert.equal(e.code, 56);
  assert.equal(e.retriable, true);
  assert.equal(e.message, 'boom');
  assert.equal(e.cause, cause);
  assert.equal(e.name, 'KafkaError');
  assert.equal(e.errorName, 'KAFKA_STORAGE_ERROR');
  const d = new KafkaError(ErrorCode.INVALID_RECORD);
  assert.equal(d.message, 'INVALID_RECORD');
  assert.equal(d.retriable, false);
  assert.equal('cause' in d, false);
  assert.equal(isKafkaError(new Error('x')), false);
  assert.equal(isKafkaError(null), false);
  assert.equal(errorCodeOf(d), 87);
  assert.equal(errorCodeOf(new TypeError('x')), -1);
});

test('internal error types', () => {
  const cause = new Error('root');
  const c = new ConfigError('log.segment.bytes', 'must be positive', { cause });
  assert.equal(c.key, 'log.segment.bytes');
  assert.equal(c.cause, cause);
  assert.equal(c.name, 'ConfigError');
  assert.match(new ConfigError('x').message, /x/);
  const r = new CorruptRecordError('bad', { position: 12 });
  assert.equal(r.position, 12);
  assert.equal(r.name, 'CorruptRecordError');
  const i = new CorruptIndexError('bad index', { file: '/tmp/0.index', cause });
  assert.equal(i.file, '/tmp/0.index');
  assert.equal(i.cause, cause);
  const l = new LogDirFailureError('/data', undefined, { cause });
  assert.equal(l.logDir, '/data');
  assert.match(l.message, /\/data/);
  for (const e of [c, r, i, l]) assert.ok(e instanceof Error);
});
