/**
 * The StandardAuthorizer's rules on bindings in a metadata image (no broker: the decision
 * function itself): deny wins, implied operations, literal / wildcard / prefixed patterns,
 * principal wildcard, hosts (IPv4-mapped addresses too), super users, allow.everyone.if.no.acl.found,
 * authorizeByResourceType; and the bindings' life in the image (create idempotent, delete,
 * the local JSON store keeping them across a reopen).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOp, AclResourceType as R, filterMatches, PatternType, PermissionType, validateNewAcl, type AclBinding } from '../../src/auth/acl.js';
import { StandardAuthorizer, parseSuperUsers } from '../../src/auth/standard-authorizer.js';
import { applyDelta } from '../../src/metadata/delta.js';
import { MetadataImage } from '../../src/metadata/image.js';
import { LocalMetadataStore } from '../../src/cluster/metadata-store.js';
import { SecurityProtocol, type Session } from '../../src/broker/gate/session.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const session = (name: string, clientAddress = '10.0.0.1'): Session => ({ principal: { principalType: 'User', name }, listenerName: 'PLAINTEXT', securityProtocol: SecurityProtocol.PLAINTEXT, connectionId: 1, clientAddress });
const acl = (b: Partial<AclBinding>): AclBinding => ({ resourceType: R.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOp.READ, permissionType: PermissionType.ALLOW, ...b });
const topic = (name: string, operation: number) => ({ operation: operation as 3, resource: { type: R.TOPIC as 2, name } });

function authorizer(acls: AclBinding[], opts: { superUsers?: string[]; allowEveryone?: boolean } = {}): StandardAuthorizer {
  const image = applyDelta(MetadataImage.empty('c'), { createdAcls: acls });
  return new StandardAuthorizer(() => image, { superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryone ?? false });
}

const one = (a: StandardAuthorizer, s: Session, name: string, op: number): boolean => a.authorize(s, [topic(name, op)])[0] === true;

test('deny wins over allow; DENY does not imply; ALLOW READ/WRITE/DELETE/ALTER imply DESCRIBE and ALTER_CONFIGS implies DESCRIBE_CONFIGS', () => {
  const a = authorizer([acl({ operation: AclOp.ALL }), acl({ operation: AclOp.WRITE, permissionType: PermissionType.DENY }), acl({ resourceName: 'u', operation: AclOp.READ, permissionType: PermissionType.DENY }), acl({ resourceName: 'u', operation: AclOp.ALTER_CONFIGS })]);
  const alice = session('alice');
  assert.equal(one(a, alice, 't', AclOp.READ), true);
  assert.equal(one(a, alice, 't', AclOp.WRITE), false, 'DENY WRITE wins over ALLOW ALL');
  assert.equal(one(a, alice, 'u', AclOp.DESCRIBE_CONFIGS), true, 'implied by ALTER_CONFIGS');
  assert.equal(one(a, alice, 'u', AclOp.DESCRIBE), false, 'DENY READ does not deny DESCRIBE, but nothing allows it');
  for (const op of [AclOp.READ, AclOp.WRITE, AclOp.DELETE, AclOp.ALTER]) {
    assert.equal(one(authorizer([acl({ operation: op })]), alice, 't', AclOp.DESCRIBE), true, `DESCRIBE implied by ${op}`);
  }
  assert.equal(one(authorizer([acl({ operation: AclOp.CREATE })]), alice, 't', AclOp.DESCRIBE), false, 'CREATE does not imply DESCRIBE');
});

test('patterns: literal, literal *, prefixed; principal User:*; hosts (IPv4-mapped too)', () => {
  const a = authorizer([
    acl({ resourceName: '*', principal: 'User:*', operation: AclOp.DESCRIBE }),
    acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED, operation: AclOp.WRITE }),
    acl({ resourceName: 'audit', host: '10.0.0.7', operation: AclOp.READ }),
  ]);
  assert.equal(one(a, session('bob'), 'anything', AclOp.DESCRIBE), true, 'User:* on *');
  assert.equal(one(a, session('alice'), 'orders-eu', AclOp.WRITE), true, 'prefixed');
  assert.equal(one(a, session('alice'), 'order', AclOp.WRITE), false, 'not the prefix');
  assert.equal(one(a, session('alice', '10.0.0.7'), 'audit', AclOp.READ), true, 'host');
  assert.equal(one(a, session('alice', '::ffff:10.0.0.7'), 'audit', AclOp.READ), true, 'IPv4-mapped host');
  assert.equal(one(a, session('alice', '10.0.0.8'), 'audit', AclOp.READ), false, 'other host');
});

test('super.users, allow.everyone.if.no.acl.found, authorizeByResourceType', () => {
  assert.deepEqual(parseSuperUsers(' User:admin ;User:ops;'), ['User:admin', 'User:ops']);
  const su = authorizer([acl({ permissionType: PermissionType.DENY, principal: 'User:*', operation: AclOp.ALL })], { superUsers: ['User:admin'] });
  assert.equal(one(su, session('admin'), 't', AclOp.READ), true, 'a super user passes even a DENY');
  const open = authorizer([acl({ resourceName: 'guarded' })], { allowEveryone: true });
  assert.equal(one(open, session('bob'), 'free', AclOp.WRITE), true, 'no ACL on the resource: allowed');
  assert.equal(one(open, session('bob'), 'guarded', AclOp.WRITE), false, 'the resource has ACLs: denied');
  assert.equal(one(authorizer([]), session('bob'), 'free', AclOp.WRITE), false, 'default: denied');

  const byType = authorizer([acl({ resourceName: 'x', operation: AclOp.WRITE }), acl({ principal: 'User:eve', resourceName: '*', operation: AclOp.WRITE }), acl({ principal: 'User:eve', resourceName: '*', operation: AclOp.WRITE, permissionType: PermissionType.DENY })]);
  assert.equal(byType.authorizeByResourceType(session('alice'), AclOp.WRITE, R.TOPIC), true);
  assert.equal(byType.authorizeByResourceType(session('bob'), AclOp.WRITE, R.TOPIC), false);
  assert.equal(byType.authorizeByResourceType(session('eve'), AclOp.WRITE, R.TOPIC), false, 'a DENY on * cancels');
});

test('bindings in the image: creating one twice keeps one, a deletion removes it; filters match as Kafka does; the local store keeps them', () => {
  const b = acl({});
  let image = applyDelta(MetadataImage.empty('c'), { createdAcls: [b, b] });
  image = applyDelta(image, { createdAcls: [{ ...b }] });
  assert.equal(image.acls().length, 1);
  const prefixed = acl({ resourceName: 't', patternType: PatternType.PREFIXED });
  image = applyDelta(image, { createdAcls: [prefixed] });
  const match = { resourceType: R.TOPIC, resourceName: 'topic', patternType: PatternType.MATCH, principal: null, host: null, operation: AclOp.ANY, permissionType: PermissionType.ANY };
  assert.deepEqual(image.acls().filter((x) => filterMatches(match, x)), [prefixed], 'MATCH: the prefixed pattern covers "topic", the literal "t" does not');
  assert.equal(image.acls().filter((x) => filterMatches({ ...match, resourceName: 't', patternType: PatternType.ANY }, x)).length, 2);
  image = applyDelta(image, { deletedAcls: [b] });
  assert.deepEqual(image.acls(), [prefixed]);
  assert.equal(validateNewAcl(acl({ patternType: PatternType.MATCH }))?.errorCode, ErrorCode.INVALID_REQUEST);
  assert.match(validateNewAcl(acl({ resourceType: R.CLUSTER, resourceName: 'c' }))?.message ?? '', /kafka-cluster/);
  assert.match(validateNewAcl(acl({ principal: 'alice' }))?.message ?? '', /principal/);

  const dir = mkdtempSync(join(tmpdir(), 'samsa-acl-store-'));
  try {
    const store = LocalMetadataStore.open(dir, () => 'cid');
    store.commitSync({ createdAcls: [b, prefixed] });
    store.commitSync({ deletedAcls: [b] });
    assert.deepEqual(LocalMetadataStore.open(dir, () => 'other').image().acls(), [prefixed]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
