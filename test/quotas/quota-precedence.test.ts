/**
 * Client quota resolution in memory (no socket): Kafka's precedence of the eight entities
 * (KIP-55), which clients share a measured rate, and the throttle of Kafka's sampled rate, with a
 * manual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataImage } from '../../src/metadata/image.js';
import { applyDelta } from '../../src/metadata/delta.js';
import { ClientQuotaManager } from '../../src/broker/quotas/client-quotas.js';
import { entityKey, parseEntityKey, type QuotaEntity } from '../../src/broker/quotas/quota-entity.js';
import { SampledRate } from '../../src/common/sampled-rate.js';
import { ANONYMOUS } from '../../src/broker/gate/session.js';
import type { RequestContext } from '../../src/broker/handler.js';

const LEVELS: QuotaEntity[] = [
  { user: 'alice', clientId: 'app' },
  { user: 'alice', clientId: null },
  { user: 'alice' },
  { user: null, clientId: 'app' },
  { user: null, clientId: null },
  { user: null },
  { clientId: 'app' },
  { clientId: null },
];

function imageWith(entities: readonly QuotaEntity[], key = 'producer_byte_rate'): MetadataImage {
  return applyDelta(MetadataImage.empty('c'), { clientQuotas: entities.map((e, i) => ({ entity: entityKey(e), quotas: { [key]: 1000 * (i + 1) } })) });
}

function manager(image: () => MetadataImage, now: () => number): ClientQuotaManager {
  return new ClientQuotaManager({ image, clock: { now }, windowMs: 1000, numWindows: 11 });
}

test('a quota comes from the first of the eight entities that sets it (Kafka order)', () => {
  for (let first = 0; first < LEVELS.length; first++) {
    // Quotas on this level and every later one: the bound is this level's (1000 * (first + 1) by position).
    const present = LEVELS.slice(first);
    const image = applyDelta(MetadataImage.empty('c'), { clientQuotas: present.map((e) => ({ entity: entityKey(e), quotas: { producer_byte_rate: 1000 * (LEVELS.indexOf(e) + 1) } })) });
    const m = manager(() => image, () => 0);
    assert.equal(m.measured('alice', 'app', 'producer_byte_rate')?.bound, 1000 * (first + 1), `level ${first + 1}: ${entityKey(LEVELS[first] as QuotaEntity)}`);
  }
  // A quota of another key, or of other names, does not apply.
  const other = applyDelta(MetadataImage.empty('c'), { clientQuotas: [{ entity: entityKey({ user: 'bob' }), quotas: { producer_byte_rate: 5 } }, { entity: entityKey({ clientId: 'app' }), quotas: { consumer_byte_rate: 5 } }] });
  assert.equal(manager(() => other, () => 0).measured('alice', 'app', 'producer_byte_rate'), undefined);
});

test('entity keys round-trip, names with separators and the default included', () => {
  for (const e of [...LEVELS, { user: 'a,b=c/<default>' }, { user: '', clientId: 'x y%' }]) {
    assert.deepEqual(parseEntityKey(entityKey(e)), e);
  }
  assert.notEqual(entityKey({ user: '<default>' }), entityKey({ user: null }));
  assert.equal(parseEntityKey('client-id=a,user=b'), undefined, 'user first');
});

function ctx(clientId: string): RequestContext {
  return {
    apiKey: 0,
    apiVersion: 9,
    correlationId: 1,
    clientId,
    session: { principal: ANONYMOUS, listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', connectionId: 1, clientAddress: '127.0.0.1' },
    receivedAtNs: 0n,
    connection: { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', state: new Map() },
  } as RequestContext;
}

test('clients under a default client-id quota have rates of their own; clients under a user quota share one', () => {
  let now = 0;
  const perClient = imageWith([{ clientId: null }]);
  const m = manager(() => perClient, () => now);
  // 1000 B/s over a 10 s window: 10000 bytes are within it, 20000 are not.
  assert.equal(m.throttleTimeMs(ctx('a'), 10_000), 0);
  assert.equal(m.throttleTimeMs(ctx('b'), 10_000), 0, 'b has its own rate');
  const t = m.throttleTimeMs(ctx('a'), 10_000);
  assert.equal(t, 10_000, 'a is at twice its quota: (2000 - 1000) / 1000 * 10 s');

  const shared = applyDelta(MetadataImage.empty('c'), { clientQuotas: [{ entity: entityKey({ user: ANONYMOUS.name }), quotas: { producer_byte_rate: 1000 } }] });
  const s = manager(() => shared, () => now);
  assert.equal(s.throttleTimeMs(ctx('a'), 10_000), 0);
  assert.ok(s.throttleTimeMs(ctx('b'), 10_000) > 0, 'b shares the user ANONYMOUS rate with a');
  now = 0;
});

test('the sampled rate forgets windows older than quota.window.num windows and caps the throttle', () => {
  const r = new SampledRate(1000, 11);
  r.record(100_000, 0);
  assert.equal(r.rate(0), 10_000, 'one burst over the 10 s minimum span');
  assert.equal(r.throttleMs(1000, 0), 11_000, 'capped at 11 windows');
  assert.equal(r.throttleMs(100_000, 0), 0);
  assert.equal(r.rate(11_000), 0, 'expired after 11 windows');
});

test('no quota configured: the quota steps do nothing', () => {
  const m = manager(() => MetadataImage.empty('c'), () => 0);
  assert.equal(m.enabled(), false);
  assert.equal(m.throttleTimeMs(ctx('a'), 1e9), 0);
});
