/**
 * KIP-612 connection quotas: the connection_creation_rate of `ip` quota entities (AlterClientQuotas /
 * DescribeClientQuotas / `samsa quotas --entity-type ips`), enforced as Kafka's ConnectionQuotas
 * does (a connection over its address's rate is accepted, not served, and closed after its throttle
 * time; an address's own entity beats the default ip entity), and the per-listener
 * listener.name.<l>.max.connections / listener.name.<l>.max.connection.creation.rate (static and
 * dynamic: connections wait, unread, for the listener). Counts, not timings: the enforcement tests
 * run the broker on a manual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ManualScheduler, startBroker } from '../../src/index.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { WireClient, waitFor, withClient } from '../helpers/wire.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

type Entity = { entityType: string; entityName: string | null }[];
type Op = { key: string; value: number; remove: boolean };
interface AlterRes {
  entries: { errorCode: number; errorMessage: string | null }[];
}
interface DescribeRes {
  errorCode: number;
  entries: { entity: Entity; values: { key: string; value: number }[] }[] | null;
}
interface ServerView {
  connectionCount: number;
  throttledCount: number;
  throttledTotal: number;
  waiting: unknown[];
}

const INVALID_REQUEST = 42;
const ip = (name: string | null): Entity => [{ entityType: 'ip', entityName: name }];
const set = (key: string, value: number): Op => ({ key, value, remove: false });
const alter = (c: WireClient, entries: { entity: Entity; ops: Op[] }[]): Promise<AlterRes> => c.request<AlterRes>(49, 1, { entries, validateOnly: false });
const describe = (c: WireClient, components: { entityType: string; matchType: number; match: string | null }[]): Promise<DescribeRes> => c.request<DescribeRes>(48, 1, { components, strict: false });
const summary = (r: DescribeRes): string[] => (r.entries ?? []).map((e) => `${e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(',')}: ${e.values.map((v) => `${v.key}=${v.value}`).join(',')}`).sort();
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('ip quota entities: AlterClientQuotas validates them as Kafka does, DescribeClientQuotas and samsa quotas show them', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0 });
  try {
    await withClient(b.port, async (c) => {
      const r = await alter(c, [
        { entity: ip('10.1.2.3'), ops: [set('connection_creation_rate', 7)] },
        { entity: ip(null), ops: [set('connection_creation_rate', 50)] },
        { entity: ip('::1'), ops: [set('connection_creation_rate', 3)] },
        { entity: ip('not-an-address'), ops: [set('connection_creation_rate', 1)] },
        { entity: ip('10.1.2.4'), ops: [set('producer_byte_rate', 1)] },
        { entity: ip('10.1.2.5'), ops: [set('connection_creation_rate', 2.5)] },
        { entity: [...ip('10.1.2.6'), { entityType: 'user', entityName: 'alice' }], ops: [set('connection_creation_rate', 1)] },
        { entity: [{ entityType: 'user', entityName: 'alice' }], ops: [set('connection_creation_rate', 1)] },
      ]);
      assert.deepEqual(r.entries.map((e) => e.errorCode), [0, 0, 0, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST]);
      assert.deepEqual(summary(await describe(c, [{ entityType: 'ip', matchType: 2, match: null }])), ['ip=10.1.2.3: connection_creation_rate=7', 'ip=::1: connection_creation_rate=3']);
      assert.deepEqual(summary(await describe(c, [{ entityType: 'ip', matchType: 1, match: null }])), ['ip=<default>: connection_creation_rate=50']);
      assert.deepEqual(summary(await describe(c, [{ entityType: 'ip', matchType: 0, match: '10.1.2.3' }])), ['ip=10.1.2.3: connection_creation_rate=7']);
      assert.equal((await describe(c, [{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }])).errorCode, INVALID_REQUEST);
    });
    // kafka-configs.sh forms.
    assertOk(await samsaCli(['quotas', '--alter', '--entity-type', 'ips', '--entity-name', '192.168.7.7', '--add-config', 'connection_creation_rate=12'], { bootstrap: b.bootstrap }), 'alter ips');
    assertOk(await samsaCli(['quotas', '--alter', '--entity-type', 'ips', '--entity-default', '--add-config', 'connection_creation_rate=40'], { bootstrap: b.bootstrap }), 'alter ips default');
    assertOk(await samsaCli(['quotas', '--alter', '--ip', '10.1.2.3', '--delete-config', 'connection_creation_rate'], { bootstrap: b.bootstrap }), 'delete ip quota');
    const d = await samsaCli(['quotas', '--describe', '--entity-type', 'ips'], { bootstrap: b.bootstrap });
    assertOk(d, 'describe ips');
    assert.match(d.stdout, /Quota configs for ip '192\.168\.7\.7' are connection_creation_rate=12/);
    assert.match(d.stdout, /Quota configs for ip '::1' are connection_creation_rate=3/);
    assert.doesNotMatch(d.stdout, /10\.1\.2\.3/);
    const dd = await samsaCli(['quotas', '--describe', '--entity-type', 'ips', '--entity-default'], { bootstrap: b.bootstrap });
    assert.match(dd.stdout, /Quota configs for ip <default> are connection_creation_rate=40/);
    // controller_mutation_rate of a user, the same way.
    assertOk(await samsaCli(['quotas', '--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'controller_mutation_rate=2.5'], { bootstrap: b.bootstrap }), 'alter controller_mutation_rate');
    assert.match((await samsaCli(['quotas', '--describe', '--entity-type', 'users', '--entity-name', 'bob'], { bootstrap: b.bootstrap })).stdout, /Quota configs for user-principal 'bob' are controller_mutation_rate=2\.5/);
    const wrongKind = await samsaCli(['quotas', '--alter', '--entity-type', 'ips', '--entity-name', '10.0.0.1', '--add-config', 'controller_mutation_rate=1'], { bootstrap: b.bootstrap });
    assert.notEqual(wrongKind.code, 0, 'an ip entity takes connection_creation_rate only');
    const bad = await samsaCli(['quotas', '--alter', '--ip', '10.0.0.1', '--client', 'x', '--add-config', 'connection_creation_rate=1'], { bootstrap: b.bootstrap });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /stands alone/);
  } finally {
    await b.stop();
  }
});

test('connection_creation_rate=5 on 127.0.0.1: 5 of 12 connections served, 7 accepted then closed after their throttle; the default ip entity applies when the address has none', { timeout: 60_000 }, async () => {
  const clock = new ManualScheduler(Date.now());
  // Two 1 s windows: a burst of one window's worth (5) is within the rate.
  const b = await startBroker({ port: 0, scheduler: clock, config: { 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
  const server = (): ServerView => (b.broker as unknown as { servers: ServerView[] }).servers[0] as ServerView;
  const conns: RawConnection[] = [];
  try {
    await withClient(b.port, async (c) => {
      assert.equal((await alter(c, [{ entity: ip('127.0.0.1'), ops: [set('connection_creation_rate', 5)] }])).entries[0]?.errorCode, 0);
    });
    clock.advance(5000); // the admin connection's own count has left the windows
    for (let i = 0; i < 12; i++) conns.push(await rawConnect(b.port));
    await waitFor(() => server().connectionCount + server().throttledCount === 12, 10_000, 'the broker to see the 12 connections', 5);
    assert.equal(server().connectionCount, 5, 'one window of the rate is served');
    assert.equal(server().throttledCount, 7, 'the rest are throttled');
    assert.ok(conns.every((s) => !s.closed()), 'a throttled connection is accepted, not closed at once (Kafka closes it after the throttle time)');
    // A throttled connection is not served: a request on it gets no answer.
    const throttledOne = conns[11] as RawConnection;
    let answered = false;
    throttledOne.socket.once('data', () => (answered = true));
    throttledOne.socket.write(WireClient.encodeRequest(18, 0, {}, 1));
    // The throttle is at most one window: after 1 s of broker time every throttled connection is closed.
    clock.advance(1000);
    await waitFor(() => conns.filter((s) => s.closed()).length === 7, 10_000, 'the 7 throttled connections closed', 5);
    assert.equal(answered, false, 'the throttled connection got no answer');
    assert.equal(server().throttledTotal, 7);
    // The served five answer requests.
    for (const s of conns.slice(0, 5)) assert.ok(!s.closed());

    // A kafkajs client from the same address: its connections are served once the rate allows.
    clock.advance(2000);
    const kafka = new Kafka({ clientId: 'ip-quota', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    assert.ok((await admin.describeCluster()).brokers.length === 1, 'kafkajs is served within the rate');
    await admin.disconnect();

    // The default ip entity applies to an address without its own: 127.0.0.1's own 5 is replaced by the default 2.
    await withClient(b.port, async (c) => {
      const r = await alter(c, [
        { entity: ip('127.0.0.1'), ops: [{ key: 'connection_creation_rate', value: 0, remove: true }] },
        { entity: ip(null), ops: [set('connection_creation_rate', 2)] },
      ]);
      assert.deepEqual(r.entries.map((e) => e.errorCode), [0, 0]);
    });
    for (const s of conns) s.socket.destroy();
    conns.length = 0;
    await waitFor(() => server().connectionCount === 0, 10_000, 'connections gone', 5);
    clock.advance(5000);
    const before = server().throttledTotal;
    for (let i = 0; i < 6; i++) conns.push(await rawConnect(b.port));
    await waitFor(() => server().connectionCount + server().throttledCount === 6, 10_000, 'the broker to see the 6 connections', 5);
    assert.equal(server().connectionCount, 2, 'the default ip quota (2) applies');
    assert.equal(server().throttledTotal - before, 4);
    console.log(`ip quota: rate 5 → 5 of 12 served, 7 throttled and closed after 1 s of broker time; default ip rate 2 → 2 of 6 served`);
  } finally {
    for (const s of conns) s.socket.destroy();
    await b.stop();
  }
});

test('eight kafkajs admins connecting at once from an address limited to 3 connections/s: some connections are throttled and closed, every client gets through by reconnecting', { timeout: 120_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
  const server = (): ServerView => (b.broker as unknown as { servers: ServerView[] }).servers[0] as ServerView;
  const admins: ReturnType<Kafka['admin']>[] = [];
  try {
    await withClient(b.port, async (c) => {
      assert.equal((await alter(c, [{ entity: ip('127.0.0.1'), ops: [set('connection_creation_rate', 3)] }])).entries[0]?.errorCode, 0);
    });
    for (let i = 0; i < 8; i++) {
      const kafka = new Kafka({ clientId: `ip-rate-${i}`, brokers: [b.bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 30_000, retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 2000 } });
      admins.push(kafka.admin());
    }
    const results = await Promise.allSettled(admins.map(async (a) => {
      await a.connect();
      return (await a.describeCluster()).brokers.length;
    }));
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, [], 'every kafkajs admin got through');
    assert.ok(server().throttledTotal > 0, 'some connections were throttled');
    console.log(`ip quota 3/s: 8 kafkajs admins connected; ${server().throttledTotal} of their connections were throttled and closed on the way`);
  } finally {
    await Promise.all(admins.map((a) => a.disconnect().catch(() => undefined)));
    await b.stop();
  }
});

test('listener.name.<l>.max.connections: connections over a listener\'s limit wait (unread) for one of its connections to close; other listeners are not limited; dynamic', { timeout: 60_000 }, async () => {
  const b = await startBroker({
    port: 0,
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT', 'listener.name.other.max.connections': 2 },
  });
  const servers = (): ServerView[] => (b.broker as unknown as { servers: ServerView[] }).servers;
  const [plainPort, otherPort] = b.broker.listeners.map((l) => l.port) as [number, number];
  const conns: RawConnection[] = [];
  try {
    for (let i = 0; i < 2; i++) conns.push(await rawConnect(otherPort));
    await waitFor(() => servers()[1]?.connectionCount === 2, 10_000, 'two connections on OTHER', 5);
    // A kafkajs admin on OTHER: its connection waits for a slot.
    const kafka = new Kafka({ clientId: 'listener-limit', brokers: [`127.0.0.1:${otherPort}`], logLevel: logLevel.NOTHING, requestTimeout: 30_000 });
    const admin = kafka.admin();
    let connected = false;
    const connecting = admin.connect().then(() => (connected = true));
    await waitFor(() => servers()[1]?.waiting.length === 1, 10_000, 'the kafkajs connection to wait on OTHER', 5);
    // PLAINTEXT has no listener limit: five connections there are served meanwhile.
    for (let i = 0; i < 5; i++) conns.push(await rawConnect(plainPort));
    await waitFor(() => servers()[0]?.connectionCount === 5, 10_000, 'five connections on PLAINTEXT', 5);
    assert.equal(connected, false, 'kafkajs still waits for a slot on OTHER');
    assert.ok(conns.every((c) => !c.closed()), 'nothing is refused');
    (conns[0] as RawConnection).socket.destroy();
    await connecting;
    assert.equal((await admin.describeCluster()).brokers.length, 1, 'kafkajs is served once a slot is free');
    await admin.disconnect();

    // Dynamic: IncrementalAlterConfigs on the cluster default sets PLAINTEXT's limit to 6 (5 open + the admin).
    await withClient(plainPort, async (c) => {
      const r = await c.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 0, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'listener.name.plaintext.max.connections', configOperation: 0, value: '6' }] }],
        validateOnly: false,
      });
      assert.equal(r.responses[0]?.errorCode, 0, r.responses[0]?.errorMessage ?? '');
      // DescribeConfigs of the broker shows it (source DYNAMIC_DEFAULT_BROKER_CONFIG = 3).
      const described = await c.request<{ results: { configs: { name: string; value: string | null; configSource: number }[] }[] }>(32, 1, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false });
      assert.deepEqual(described.results[0]?.configs.filter((e) => e.name.startsWith('listener.name.')).map((e) => [e.name, e.value, e.configSource]), [['listener.name.plaintext.max.connections', '6', 3]]);
      const extra = await rawConnect(plainPort);
      conns.push(extra);
      await waitFor(() => servers()[0]?.waiting.length === 1, 10_000, 'the seventh PLAINTEXT connection to wait', 5);
      assert.equal(servers()[0]?.connectionCount, 6);
      const bad = await c.request<{ responses: { errorCode: number }[] }>(44, 0, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'listener.name.plaintext.max.connections.per.ip', configOperation: 0, value: '6' }] }],
        validateOnly: false,
      });
      assert.equal(bad.responses[0]?.errorCode, INVALID_REQUEST, 'only the listener connection limits are per-listener dynamic configs');
    });
    // The admin connection closed: the waiting one takes its slot.
    await waitFor(() => servers()[0]?.waiting.length === 0 && servers()[0]?.connectionCount === 6, 10_000, 'the waiting PLAINTEXT connection accepted', 5);
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});

test('listener.name.<l>.max.connection.creation.rate=3: that listener accepts 3 at once and the rest at the rate; another listener is not held back', { timeout: 60_000 }, async () => {
  const clock = new ManualScheduler(Date.now());
  const b = await startBroker({
    port: 0,
    scheduler: clock,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT',
      'listener.name.other.max.connection.creation.rate': 3,
      'quota.window.num': 2,
      'quota.window.size.seconds': 1,
    },
  });
  const servers = (): ServerView[] => (b.broker as unknown as { servers: ServerView[] }).servers;
  const [plainPort, otherPort] = b.broker.listeners.map((l) => l.port) as [number, number];
  const conns: RawConnection[] = [];
  try {
    for (let i = 0; i < 8; i++) conns.push(await rawConnect(otherPort));
    for (let i = 0; i < 8; i++) conns.push(await rawConnect(plainPort));
    await waitFor(() => (servers()[1]?.connectionCount ?? 0) + (servers()[1]?.waiting.length ?? 0) === 8 && servers()[0]?.connectionCount === 8, 10_000, 'the broker to see all 16 connections', 5);
    assert.equal(servers()[1]?.connectionCount, 3, 'OTHER: one window of its rate at once');
    assert.equal(servers()[1]?.waiting.length, 5);
    for (let ms = 0; ms < 5000 && servers()[1]?.connectionCount !== 8; ms += 100) {
      clock.advance(100);
      await tick();
    }
    assert.equal(servers()[1]?.connectionCount, 8, 'every OTHER connection is accepted in the end');
    assert.ok(conns.every((c) => !c.closed()));
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});

test('the inter-broker listener is not held back by the broker-wide max.connections (Kafka\'s protected listener); the others are', { timeout: 60_000 }, async () => {
  const b = await startBroker({
    port: 0,
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT', 'inter.broker.listener.name': 'PLAINTEXT', 'max.connections': 2 },
  });
  const servers = (): ServerView[] => (b.broker as unknown as { servers: ServerView[] }).servers;
  const [plainPort, otherPort] = b.broker.listeners.map((l) => l.port) as [number, number];
  const conns: RawConnection[] = [];
  try {
    for (let i = 0; i < 2; i++) conns.push(await rawConnect(otherPort));
    await waitFor(() => servers()[1]?.connectionCount === 2, 10_000, 'two connections on OTHER', 5);
    const refused = await rawConnect(otherPort);
    conns.push(refused);
    await waitFor(() => refused.closed(), 10_000, 'the third OTHER connection (over max.connections=2) closed', 5);
    // The inter-broker listener still takes connections, and serves them.
    const wire = await WireClient.connect(plainPort);
    try {
      assert.ok((await wire.apiVersions()).apiKeys.length > 0, 'served on the inter-broker listener');
    } finally {
      wire.close();
    }
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});
