/**
 * The cluster settings: etcd.endpoints (list, default empty: a single node as before), etcd.prefix
 * (default /samsa, must start with '/'), broker.rack (default null); with etcd.endpoints set,
 * node.id must be given explicitly (its default of 1 would collide across brokers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/common/errors.js';
import { BrokerConfig } from '../../src/config/broker-config.js';

test('etcd.endpoints, etcd.prefix and broker.rack have their defaults', () => {
  const c = new BrokerConfig(new Map());
  assert.deepEqual(c.list('etcd.endpoints'), []);
  assert.equal(c.get('etcd.prefix'), '/samsa');
  assert.equal(c.get('broker.rack'), null);
});

test('with etcd.endpoints set, node.id must be set explicitly', () => {
  assert.throws(
    () => new BrokerConfig(new Map([['etcd.endpoints', 'http://127.0.0.1:2379']])),
    (e: unknown) => e instanceof ConfigError && /node\.id must be set explicitly/.test(e.message),
  );
  const c = new BrokerConfig(new Map([['etcd.endpoints', 'http://127.0.0.1:2379,http://127.0.0.1:22379'], ['node.id', '3'], ['broker.rack', 'r1'], ['etcd.prefix', '/prod']]));
  assert.deepEqual(c.list('etcd.endpoints'), ['http://127.0.0.1:2379', 'http://127.0.0.1:22379']);
  assert.equal(c.get('etcd.prefix'), '/prod');
  assert.equal(c.get('broker.rack'), 'r1');
});

test("etcd.prefix must start with '/'", () => {
  assert.throws(() => new BrokerConfig(new Map([['etcd.prefix', 'samsa']])), (e: unknown) => e instanceof ConfigError && /etcd\.prefix.*must start with '\/'/.test(e.message));
});
