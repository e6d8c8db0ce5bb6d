/**
 * The client side of SCRAM (client/scram-client.ts): RFC 7677's SCRAM-SHA-256 example exchange
 * byte for byte, a round trip against Samsa's own ScramServer for both mechanisms, and the checks
 * a client makes of the server (nonce, iterations, signature, e= errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ScramClient } from '../../src/client/scram-client.js';
import { ScramServer, credentialFromSaltedPassword, type ScramMechanism } from '../../src/auth/sasl/scram.js';
import { pbkdf2Sync } from 'node:crypto';

test("RFC 7677's SCRAM-SHA-256 example", () => {
  const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
  assert.equal(c.first().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const final = c.final(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
  assert.equal(final.toString(), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  c.verify(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='));
});

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`${mechanism}: a round trip against Samsa's ScramServer; a user name with , and = is escaped`, () => {
    const salt = randomBytes(16);
    const user = 'a,b=c';
    const cred = credentialFromSaltedPassword(mechanism as ScramMechanism, salt, pbkdf2Sync('pw', salt, 4096, mechanism === 'SCRAM-SHA-256' ? 32 : 64, mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512'), 4096);
    const server = new ScramServer(mechanism as ScramMechanism, { scramCredential: (u) => (u === user ? cred : undefined) });
    const client = new ScramClient(mechanism, user, 'pw');
    assert.match(client.first().toString(), /^n,,n=a=2Cb=3Dc,r=/);
    const s1 = server.evaluate(client.first());
    assert.equal(s1.done, false);
    const s2 = server.evaluate(client.final((s1 as { challenge: Buffer }).challenge));
    assert.equal(s2.done, true);
    client.verify((s2 as { response: Buffer }).response);
  });
}

test('the client refuses a server that does not extend its nonce, too few iterations, a wrong signature, an e= error', () => {
  const c = (): ScramClient => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'abc');
  assert.throws(() => c().final(Buffer.from('r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /does not extend the client nonce/);
  assert.throws(() => c().final(Buffer.from('r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000')), /iterations 1000/);
  assert.throws(() => c().final(Buffer.from('e=unknown-user')), /SCRAM server error: unknown-user/);
  const ok = c();
  ok.final(Buffer.from('r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
  assert.throws(() => ok.verify(Buffer.from(`v=${Buffer.alloc(32).toString('base64')}`)), /server signature does not match/);
});
