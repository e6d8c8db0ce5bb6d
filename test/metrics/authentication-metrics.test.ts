/**
 * Kafka's socket-server-metrics successful-authentication-total / failed-authentication-total per
 * listener on /metrics: a broker with a PLAINTEXT and a SASL_PLAINTEXT (PLAIN) listener; kafkajs
 * clients log in with the right password (successes on the SASL listener), with a wrong one (one
 * failure there, and no success for it), and over PLAINTEXT (a channel ready counts, as in Kafka).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { scrape } from '../helpers/metrics.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const SUCCESS = 'kafka_server_socketservermetrics_successful_authentication_total';
const FAILURE = 'kafka_server_socketservermetrics_failed_authentication_total';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': '10',
      'metrics.listeners': 'http://127.0.0.1:0',
    },
  });
});

after(async () => {
  await broker?.stop();
});

function port(name: string): number {
  const l = broker.broker.listeners.find((x) => x.name === name);
  assert.ok(l, `listener ${name}`);
  return l.port;
}

async function connectAdmin(listener: string, password?: string): Promise<string> {
  const kafka = new Kafka({
    clientId: 'auth-metrics',
    brokers: [`127.0.0.1:${port(listener)}`],
    ...(password === undefined ? {} : { sasl: { mechanism: 'plain' as const, username: 'alice', password } }),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return 'ok';
  } catch (e) {
    return String((e as { type?: string }).type ?? e);
  } finally {
    await admin.disconnect();
  }
}

test('authentication successes and failures are counted per listener on /metrics', { timeout: 60_000 }, async () => {
  const url = broker.broker.observability?.listeners[0]?.url;
  assert.ok(url !== undefined, 'metrics listener bound');
  const before = await scrape(url);
  assert.equal(before.value(FAILURE, { listener: 'SASL_PLAINTEXT' }), 0);
  const saslBefore = before.value(SUCCESS, { listener: 'SASL_PLAINTEXT' }) ?? 0;
  const plainBefore = before.value(SUCCESS, { listener: 'PLAINTEXT' }) ?? 0;

  assert.equal(await connectAdmin('SASL_PLAINTEXT', 'alice-secret'), 'ok');
  const afterGood = await scrape(url);
  const saslGood = afterGood.value(SUCCESS, { listener: 'SASL_PLAINTEXT' }) ?? 0;
  assert.ok(saslGood > saslBefore, `a SASL login counts as a success (${saslBefore} -> ${saslGood})`);
  assert.equal(afterGood.value(FAILURE, { listener: 'SASL_PLAINTEXT' }), 0);

  assert.notEqual(await connectAdmin('SASL_PLAINTEXT', 'wrong'), 'ok');
  const afterBad = await scrape(url);
  assert.equal(afterBad.value(FAILURE, { listener: 'SASL_PLAINTEXT' }), 1, 'one failed login');
  assert.equal(afterBad.value(SUCCESS, { listener: 'SASL_PLAINTEXT' }), saslGood, 'the failed login is no success');

  assert.equal(await connectAdmin('PLAINTEXT'), 'ok');
  const afterPlain = await scrape(url);
  assert.ok((afterPlain.value(SUCCESS, { listener: 'PLAINTEXT' }) ?? 0) > plainBefore, 'a PLAINTEXT channel ready counts (Kafka)');
  assert.equal(afterPlain.value(FAILURE, { listener: 'PLAINTEXT' }), 0);
});
