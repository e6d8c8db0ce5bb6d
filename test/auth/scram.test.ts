/**
 * The SCRAM server against RFC 7677's SCRAM-SHA-256 example exchange (user "user", password
 * "pencil"), with the stored (salted) credential AlterUserScramCredentials would keep; and its
 * refusals: wrong proof, unknown user, channel binding, a nonce that does not end with the
 * combined one, delegation tokens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { credentialFromSaltedPassword, ScramServer, type ScramCredential } from '../../src/auth/sasl/scram.js';
import { SaslAuthenticationError } from '../../src/auth/sasl/mechanism.js';
import { PlainServer } from '../../src/auth/sasl/plain.js';

const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const CRED: ScramCredential = credentialFromSaltedPassword('SCRAM-SHA-256', SALT, pbkdf2Sync('pencil', SALT, 4096, 32, 'sha256'), 4096);
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const source = { scramCredential: (user: string) => (user === 'user' ? CRED : undefined) };
const server = (): ScramServer => new ScramServer('SCRAM-SHA-256', source, () => SERVER_NONCE);
const FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';

test("RFC 7677's SCRAM-SHA-256 exchange: server-first and server-final byte for byte", () => {
  const s = server();
  const first = s.evaluate(Buffer.from(FIRST));
  assert.equal(first.done, false);
  assert.equal(first.done === false && first.challenge.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const final = s.evaluate(Buffer.from(FINAL));
  assert.equal(final.done, true);
  assert.equal(final.done && final.response.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.equal(final.done && final.user, 'user');
});

test('SCRAM refusals: wrong proof, unknown user, channel binding, foreign nonce, delegation tokens', () => {
  const wrongProof = server();
  wrongProof.evaluate(Buffer.from(FIRST));
  assert.throws(() => wrongProof.evaluate(Buffer.from(FINAL.replace('p=dHzb', 'p=AHzb'))), SaslAuthenticationError);
  assert.throws(() => server().evaluate(Buffer.from('n,,n=nobody,r=abc')), /invalid credentials with SASL mechanism SCRAM-SHA-256/);
  assert.throws(() => server().evaluate(Buffer.from('p=tls-unique,,n=user,r=abc')), /channel binding is not supported/);
  assert.throws(() => server().evaluate(Buffer.from('n,,n=user,r=abc,tokenauth=true')), /Delegation token/);
  const foreign = server();
  foreign.evaluate(Buffer.from(FIRST));
  assert.throws(() => foreign.evaluate(Buffer.from(FINAL.replace('k0,p=', 'k1,p='))), /nonce does not match/);
  // librdkafka repeats its own nonce before the combined one: accepted (Kafka checks endsWith).
  const rd = server();
  rd.evaluate(Buffer.from(FIRST));
  assert.throws(() => rd.evaluate(Buffer.from(FINAL.replace('r=', 'r=rOprNGfwEbeRWgbNEkqO'))), /invalid credentials/, 'passes the nonce check, fails only the proof (AuthMessage differs)');
});

test('PLAIN: Kafka messages for empty fields, a foreign authorization id and bad credentials', () => {
  const users = new Map([['alice', 'pw']]);
  const run = (token: string): string => {
    try {
      const r = new PlainServer(users).evaluate(Buffer.from(token));
      return r.done ? `ok ${r.user}` : 'challenge';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(run('\u0000alice\u0000pw'), 'ok alice');
  assert.equal(run('alice\u0000alice\u0000pw'), 'ok alice');
  assert.equal(run('bob\u0000alice\u0000pw'), 'Authentication failed: Client requested an authorization id that is different from username');
  assert.equal(run('\u0000alice\u0000nope'), 'Authentication failed: Invalid username or password');
  assert.equal(run('\u0000bob\u0000pw'), 'Authentication failed: Invalid username or password');
  assert.equal(run('\u0000\u0000pw'), 'Authentication failed: username not specified');
  assert.equal(run('\u0000alice\u0000'), 'Authentication failed: password not specified');
  assert.match(run('alice:pw'), /expected 3 tokens/);
});
