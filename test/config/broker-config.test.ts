import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { parseProperties } from '../../src/config/properties-file.js';
import { buildStartConfig } from '../../src/cli/start-command.js';
import { resolveTopicConfigs, validateTopicOverrides } from '../../src/config/topic-config-resolver.js';
import { ConfigError } from '../../src/common/errors.js';

test('properties parsing: separators, comments, continuations, escapes', () => {
  const p = parseProperties('# comment\n! also\nlog.dirs=/a,/b\nnum.partitions : 3\nlisteners PLAINTEXT://:9\nmulti=a\\\n  b\nesc=x\\ty\n\n');
  assert.equal(p.get('log.dirs'), '/a,/b');
  assert.equal(p.get('num.partitions'), '3');
  assert.equal(p.get('listeners'), 'PLAINTEXT://:9');
  assert.equal(p.get('multi'), 'ab');
  assert.equal(p.get('esc'), 'x\ty');
  assert.equal(p.size, 5);
});

test('unknown and invalid settings stop start-up naming the key', () => {
  assert.throws(() => new BrokerConfig(new Map([['no.such.key', '1']])), (e: unknown) => e instanceof ConfigError && /no\.such\.key/.test(e.message));
  assert.throws(() => new BrokerConfig(new Map([['num.partitions', 'x']])), /num\.partitions/);
  assert.throws(() => new BrokerConfig(new Map([['num.partitions', '0']])), /num\.partitions/);
  assert.throws(() => new BrokerConfig(new Map([['listeners', 'nonsense']])), /listeners/);
  assert.throws(() => new BrokerConfig(new Map([['auto.create.topics.enable', 'maybe']])), /auto\.create\.topics\.enable/);
});

test('retention precedence ms > minutes > hours, and topic defaults follow broker synonyms', () => {
  assert.equal(new BrokerConfig(new Map()).retentionMs, 168 * 3_600_000);
  assert.equal(new BrokerConfig(new Map([['log.retention.hours', '1']])).retentionMs, 3_600_000);
  assert.equal(new BrokerConfig(new Map([['log.retention.hours', '1'], ['log.retention.minutes', '2']])).retentionMs, 120_000);
  const cfg = new BrokerConfig(new Map([['log.retention.minutes', '2'], ['log.retention.ms', '5']]));
  assert.equal(cfg.retentionMs, 5);
  const resolved = resolveTopicConfigs(cfg, { 'segment.bytes': '1024' });
  assert.equal(resolved.get('retention.ms')?.value, 5);
  assert.equal(resolved.get('retention.ms')?.source, 'broker');
  assert.equal(resolved.get('segment.bytes')?.value, 1024);
  assert.equal(resolved.get('segment.bytes')?.source, 'topic');
  assert.equal(resolved.get('cleanup.policy')?.source, 'default');
});

test('topic overrides are validated by Kafka name and value', () => {
  validateTopicOverrides({ 'retention.ms': '-1', 'cleanup.policy': 'compact,delete' });
  assert.throws(() => validateTopicOverrides({ 'retention.mss': '1' }), /retention\.mss/);
  assert.throws(() => validateTopicOverrides({ 'cleanup.policy': 'shred' }), /cleanup\.policy/);
  assert.throws(() => validateTopicOverrides({ 'min.cleanable.dirty.ratio': '2' }), /min\.cleanable\.dirty\.ratio/);
});

test('samsa start flags: --port, --data-dir and --override take precedence', () => {
  const cfg = buildStartConfig(['--port', '1234', '--data-dir', '/tmp/x', '--override', 'num.partitions=4']);
  assert.equal(cfg.listeners()[0]?.port, 1234);
  assert.deepEqual(cfg.logDirs, ['/tmp/x']);
  assert.equal(cfg.int('num.partitions'), 4);
  assert.throws(() => buildStartConfig(['--bogus']), /--bogus/);
  assert.throws(() => buildStartConfig(['--override', 'nokey']), /key=value/);
});
