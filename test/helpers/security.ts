/**
 * A broker with every kind of listener for the security tests (PLAINTEXT, SSL, SASL_PLAINTEXT,
 * SASL_SSL), PLAIN users from a JAAS config, SCRAM credentials set with AlterUserScramCredentials,
 * and an authorizer that allows everything but records each request's principal.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { startBroker, type RunningBroker } from '../../src/index.js';
import type { Action, Authorizer } from '../../src/broker/gate/authorizer.js';
import type { Session } from '../../src/broker/gate/session.js';
import type { TestCerts } from './certs.js';
import { WireClient } from './wire.js';

export const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

/** Allows everything, remembering the principals and listeners requests came with. */
export class RecordingAuthorizer implements Authorizer {
  readonly allowsEverything = false;
  readonly seen: { principal: string; listener: string; protocol: string }[] = [];
  authorize(session: Session, actions: readonly Action[]): readonly boolean[] {
    this.seen.push({ principal: `${session.principal.principalType}:${session.principal.name}`, listener: session.listenerName, protocol: session.securityProtocol });
    return actions.map(() => true);
  }
  principals(listener: string): Set<string> {
    return new Set(this.seen.filter((s) => s.listener === listener).map((s) => s.principal));
  }
}

export interface SecureBroker {
  readonly broker: RunningBroker;
  readonly authorizer: RecordingAuthorizer;
  port(listener: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'): number;
  stop(): Promise<void>;
}

export async function startSecureBroker(certs: TestCerts, extra: Record<string, string> = {}): Promise<SecureBroker> {
  const authorizer = new RecordingAuthorizer();
  const broker = await startBroker({
    port: 0,
    gate: { authorizer },
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.serverPem,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.caFile,
      'ssl.client.auth': 'requested',
      'ssl.principal.mapping.rules': 'RULE:^CN=([^,]*),OU=eng,.*$/$1/L,DEFAULT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
      'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS,
      'connection.failed.authentication.delay.ms': '50',
      ...extra,
    },
  });
  return {
    broker,
    authorizer,
    port(listener) {
      const l = broker.broker.listeners.find((x) => x.name === listener);
      if (l === undefined) throw new Error(`no ${listener} listener`);
      return l.port;
    },
    stop: () => broker.stop(),
  };
}

/** SCRAM's salted password (Hi = PBKDF2 with the mechanism's HMAC), as a client computes it. */
export function saltedPassword(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', password: string, salt: Buffer, iterations: number): Buffer {
  const sha = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  return pbkdf2Sync(password, salt, iterations, sha === 'sha256' ? 32 : 64, sha);
}

/** Sets SCRAM credentials with AlterUserScramCredentials (over a PLAINTEXT listener); returns the per-user results. */
export async function setScramCredentials(port: number, users: { name: string; password: string; mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; iterations?: number }[]): Promise<{ user: string; errorCode: number; errorMessage: string | null }[]> {
  const c = await WireClient.connect(port);
  try {
    const upsertions = users.map((u) => {
      const salt = randomBytes(16);
      const iterations = u.iterations ?? 4096;
      return { name: u.name, mechanism: u.mechanism === 'SCRAM-SHA-256' ? 1 : 2, iterations, salt, saltedPassword: saltedPassword(u.mechanism, u.password, salt, iterations) };
    });
    const res = await c.request<{ results: { user: string; errorCode: number; errorMessage: string | null }[] }>(51, 0, { deletions: [], upsertions });
    return res.results;
  } finally {
    c.close();
  }
}
