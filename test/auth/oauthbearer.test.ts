/**
 * OAUTHBEARER in memory (no socket): the KIP-255 client message parser, Kafka's unsecured JWS
 * validator at its clock-skew boundaries, the JWKS validator's skew with a fixed clock, and the
 * server's error-challenge exchange (challenge, then the client's 0x01, then failure).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet } from 'jose';
import { OAuthBearerServer, parseClientInitialResponse } from '../../src/auth/sasl/oauthbearer.js';
import { SaslAuthenticationError } from '../../src/auth/sasl/mechanism.js';
import { UnsecuredJwsValidator, type UnsecuredOptions } from '../../src/auth/oauth/unsecured-validator.js';
import { JwksValidator } from '../../src/auth/oauth/jwks-validator.js';
import { TokenValidationError } from '../../src/auth/oauth/token-validator.js';
import { oauthMessage, signingKey, unsecuredToken } from '../helpers/oauth.js';

const NOW = 1_800_000_000_000;
const clock = { now: () => NOW };
const defaults: UnsecuredOptions = { principalClaimName: 'sub', scopeClaimName: 'scope', requiredScope: [], allowableClockSkewMs: 0 };

test('the client message: authzid, extensions, the Bearer scheme in any case; malformed ones are refused with Kafka reasons', () => {
  const m = parseClientInitialResponse(Buffer.from('n,a=alice,\u0001auth=bearer abc.def.\u0001traceId=42\u0001\u0001'));
  assert.equal(m.authorizationId, 'alice');
  assert.equal(m.token, 'abc.def.');
  assert.deepEqual([...m.extensions], [['traceId', '42']]);
  assert.equal(parseClientInitialResponse(oauthMessage('t.u.v')).authorizationId, '');
  const refused: [string, RegExp][] = [
    ['n,,\u0001auth=Bearer t.u.v\u0001', /Invalid OAUTHBEARER client first message$/],
    ['y,,\u0001auth=Bearer t.u.v\u0001\u0001', /Invalid OAUTHBEARER client first message$/],
    ['n,,\u0001other=x\u0001\u0001', /'auth' not specified/],
    ['n,,\u0001auth=Bearer\u0001\u0001', /invalid 'auth' format/],
    ['n,,\u0001auth=Basic dXNlcg==\u0001\u0001', /Invalid scheme in OAUTHBEARER client first message: Basic/],
  ];
  for (const [text, reason] of refused) assert.throws(() => parseClientInitialResponse(Buffer.from(text)), (e: unknown) => e instanceof SaslAuthenticationError && reason.test(e.message), JSON.stringify(text));
});

test("unsecured JWS: Kafka's clock-skew boundaries for exp and iat, the principal claim option, scope as a string or a list", () => {
  const v = (o: Partial<UnsecuredOptions> = {}) => new UnsecuredJwsValidator({ ...defaults, ...o }, clock);
  const s = NOW / 1000;
  assert.throws(() => v().validate(unsecuredToken({ sub: 'a', exp: s })), /on or after the Expiration Time/, 'exp == now is expired');
  assert.equal(v().validate(unsecuredToken({ sub: 'a', exp: s + 0.001 })).expiresAtMs, NOW + 1);
  assert.equal(v({ allowableClockSkewMs: 1000 }).validate(unsecuredToken({ sub: 'a', exp: s - 0.999 })).principal, 'a', 'within the skew');
  assert.throws(() => v({ allowableClockSkewMs: 1000 }).validate(unsecuredToken({ sub: 'a', exp: s - 1 })), TokenValidationError);
  assert.equal(v({ allowableClockSkewMs: 1000 }).validate(unsecuredToken({ sub: 'a', iat: s + 1, exp: s + 60 })).principal, 'a', 'iat at now + skew');
  assert.throws(() => v({ allowableClockSkewMs: 1000 }).validate(unsecuredToken({ sub: 'a', iat: s + 1.001, exp: s + 60 })), /Issued At value/);
  assert.throws(() => v().validate(unsecuredToken({ sub: 42, exp: s + 60 })), /'sub' claim was not of type String/);
  assert.throws(() => v().validate(unsecuredToken({ sub: '  ', exp: s + 60 })), /No principal name in JWT claim: sub/);
  assert.equal(v({ principalClaimName: 'client_id' }).validate(unsecuredToken({ client_id: 'svc', sub: 'x', exp: s + 60 })).principal, 'svc');
  const scoped = v({ requiredScope: ['read', 'write'] });
  assert.deepEqual(scoped.validate(unsecuredToken({ sub: 'a', exp: s + 60, scope: 'write read extra' })).scope, ['write', 'read', 'extra']);
  assert.deepEqual(scoped.validate(unsecuredToken({ sub: 'a', exp: s + 60, scope: ['read', 'write'] })).scope, ['read', 'write']);
  assert.throws(
    () => scoped.validate(unsecuredToken({ sub: 'a', exp: s + 60, scope: 'read' })),
    (e: unknown) => e instanceof TokenValidationError && e.status === 'insufficient_scope' && e.scope === '[read, write]',
  );
});

test('the server answers a refused token with the JSON challenge; the next 0x01 fails with it; a new message is evaluated afresh', () => {
  const server = new OAuthBearerServer(new UnsecuredJwsValidator(defaults, clock));
  const expired = server.evaluate(oauthMessage(unsecuredToken({ sub: 'a', exp: NOW / 1000 - 1 })));
  assert.ok(!(expired instanceof Promise) && !expired.done);
  assert.equal(expired.challenge.toString(), '{"status":"invalid_token"}');
  assert.match(server.refusal ?? '', /Expiration Time/);
  assert.throws(() => server.evaluate(Buffer.from([1])), (e: unknown) => e instanceof SaslAuthenticationError && e.message === '{"status":"invalid_token"}');
  const fresh = new OAuthBearerServer(new UnsecuredJwsValidator(defaults, clock));
  fresh.evaluate(oauthMessage(unsecuredToken({ sub: 'a', exp: NOW / 1000 - 1 })));
  const ok = fresh.evaluate(oauthMessage(unsecuredToken({ sub: 'bob', exp: NOW / 1000 + 10 })));
  assert.ok(!(ok instanceof Promise) && ok.done);
  assert.deepEqual([ok.user, ok.credentialExpiresAtMs], ['bob', NOW + 10_000]);
  assert.throws(() => new OAuthBearerServer(new UnsecuredJwsValidator(defaults, clock)).evaluate(Buffer.from([1])), /Invalid OAUTHBEARER client first message/, '0x01 with no challenge sent');
});

test('JWKS validator: exp within sasl.oauthbearer.clock.skew.seconds passes, beyond it fails; the sub claim name; signature checked', async () => {
  const key = await signingKey('k1', 'ES256');
  const other = await signingKey('k1', 'ES256');
  const v = (skew: number, sub = 'sub') => new JwksValidator({ url: 'file:///unused', refreshMs: 0, expectedAudience: ['aud1', 'aud2'], expectedIssuer: 'iss', subClaimName: sub, scopeClaimName: 'scp', clockSkewSeconds: skew }, createLocalJWKSet({ keys: [key.publicJwk] }), clock);
  const s = Math.floor(NOW / 1000);
  const claims = { sub: 'alice', azp: 'svc', iat: s - 100, exp: s - 20, aud: 'aud2', iss: 'iss', scp: ['a', 'b'] };
  const t = await key.sign(claims);
  const ok = await v(30).validate(t);
  assert.deepEqual([ok.principal, ok.expiresAtMs, ok.scope], ['alice', (s - 20) * 1000, ['a', 'b']]);
  await assert.rejects(v(10).validate(t), /Could not validate the access token: .*exp/);
  assert.equal((await v(30, 'azp').validate(t)).principal, 'svc');
  await assert.rejects(v(30, 'missing').validate(t), /missing value must be non-null and non-empty/);
  await assert.rejects(v(30).validate(await other.sign(claims)), /signature verification failed/);
  await assert.rejects(v(30).validate('only.two'), /Malformed JWT provided/);
});
