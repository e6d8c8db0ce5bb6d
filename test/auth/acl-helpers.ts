/**
 * Test helpers for ACLs over the wire: an admin connection from 127.0.0.2 (so host-based ACLs tell
 * it from the clients under test, which connect from 127.0.0.1), CreateAcls / DeleteAcls as the
 * project's protocol client sends them, and every error code in a response collected.
 */
import assert from 'node:assert/strict';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { AclOp, AclResourceType, PatternType, PermissionType, type AclBinding } from '../../src/auth/acl.js';
import type { CreateAclsResponse } from '../../src/protocol/generated/messages/create-acls.js';
import type { DeleteAclsResponse } from '../../src/protocol/generated/messages/delete-acls.js';

export const ADMIN_HOST = '127.0.0.2';
export const CLIENT_HOST = '127.0.0.1';
export const ANONYMOUS = 'User:ANONYMOUS';

export function connectFrom(port: number, localAddress: string): Promise<ProtocolClient> {
  return ProtocolClient.connect({ port, host: '127.0.0.1', localAddress, clientId: 'acl-test', requestTimeoutMs: 20_000 });
}

/** A binding for User:ANONYMOUS from the clients' host (ALLOW, LITERAL unless told). */
export function grant(resourceType: number, resourceName: string, operation: number, more: Partial<AclBinding> = {}): AclBinding {
  return { resourceType, resourceName, patternType: PatternType.LITERAL, principal: ANONYMOUS, host: CLIENT_HOST, operation, permissionType: PermissionType.ALLOW, ...more };
}

export async function createAcls(admin: ProtocolClient, acls: readonly AclBinding[]): Promise<void> {
  const res = await admin.request<CreateAclsResponse>(30, 3, {
    creations: acls.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
  });
  assert.deepEqual(res.results.map((r) => r.errorCode), acls.map(() => 0), `CreateAcls: ${JSON.stringify(res.results)}`);
}

export async function deleteAcls(admin: ProtocolClient, acls: readonly AclBinding[]): Promise<number> {
  const res = await admin.request<DeleteAclsResponse>(31, 3, {
    filters: acls.map((b) => ({ resourceTypeFilter: b.resourceType, resourceNameFilter: b.resourceName, patternTypeFilter: b.patternType, principalFilter: b.principal, hostFilter: b.host, operation: b.operation, permissionType: b.permissionType })),
  });
  for (const r of res.filterResults) assert.equal(r.errorCode, 0, `DeleteAcls: ${JSON.stringify(r)}`);
  return res.filterResults.reduce((n, r) => n + r.matchingAcls.length, 0);
}

/**
 * The bootstrap of a broker run with allow.everyone.if.no.acl.found=true: the admin host gets ALL
 * on the cluster, and a placeholder principal gets READ on every topic, group and transactional
 * id (LITERAL `*`), so that every resource has ACLs and User:ANONYMOUS from the client host is
 * denied until granted (Kafka's "ACLs exist for the resource" rule).
 */
export async function bootstrapAcls(admin: ProtocolClient): Promise<void> {
  await createAcls(admin, [
    { resourceType: AclResourceType.CLUSTER, resourceName: 'kafka-cluster', patternType: PatternType.LITERAL, principal: ANONYMOUS, host: ADMIN_HOST, operation: AclOp.ALL, permissionType: PermissionType.ALLOW },
    ...[AclResourceType.TOPIC, AclResourceType.GROUP, AclResourceType.TRANSACTIONAL_ID].map((resourceType) => ({
      resourceType,
      resourceName: '*',
      patternType: PatternType.LITERAL,
      principal: 'User:placeholder',
      host: '*',
      operation: AclOp.READ,
      permissionType: PermissionType.ALLOW,
    })),
  ]);
}

/** Every errorCode / partitionErrorCode anywhere in a decoded response. */
export function errorCodes(res: unknown): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'errorCode' || k === 'partitionErrorCode') && typeof x === 'number') out.push(x);
        else walk(x);
      }
    }
  };
  walk(res);
  return out;
}
