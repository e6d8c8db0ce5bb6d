/**
 * The ACL keys of the etcd store (docs/cluster.md): `<prefix>/acls/<id>`, one binding per key,
 * `<id>` the first 32 hex digits of the sha256 of the binding (so equal bindings share a key).
 * Kafka's ZooKeeper kept one JSON list per resource under /kafka-acl (literal) and
 * /kafka-acl-extended/prefixed (prefixed patterns), updated by read-modify-write; a key per
 * binding needs no such step. Values come from etcd, which others write: decodeAcl checks the
 * shape and throws EtcdValueError naming the key.
 */
import { createHash } from 'node:crypto';
import { aclKey, type AclBinding } from '../../auth/acl.js';
import { EtcdValueError } from './keys.js';

/** The id of a binding's key: the first 32 hex digits of the sha256 of its identity. */
export function aclId(b: AclBinding): string {
  return createHash('sha256').update(aclKey(b)).digest('hex').slice(0, 32);
}

export function encodeAcl(b: AclBinding): string {
  return JSON.stringify({
    version: 1,
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    patternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permissionType: b.permissionType,
  });
}

export function decodeAcl(key: string, raw: string): AclBinding {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    o = v as Record<string, unknown>;
  } catch {
    throw new EtcdValueError(key, 'not a JSON object');
  }
  if (o['version'] !== 1) throw new EtcdValueError(key, `unknown version ${String(o['version'])}`);
  const { resourceType, resourceName, patternType, principal, host, operation, permissionType } = o;
  if (!isInt(resourceType, 0) || !isInt(patternType, 0) || !isInt(operation, 0) || !isInt(permissionType, 0)) throw new EtcdValueError(key, 'a type, operation or permission is not an integer');
  if (typeof resourceName !== 'string' || typeof principal !== 'string' || typeof host !== 'string') throw new EtcdValueError(key, 'resourceName, principal or host is not a string');
  return { resourceType, resourceName, patternType, principal, host, operation, permissionType };
}

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}
