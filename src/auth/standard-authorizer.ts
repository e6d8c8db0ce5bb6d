/**
 * Kafka's StandardAuthorizer (and the older AclAuthorizer, same semantics) over the ACL bindings
 * of the metadata image. Kafka's rules for one action (operation on a resource) by a session:
 * - a super user (`super.users=User:a;User:b`) is allowed everything;
 * - the bindings that apply are those whose pattern covers the resource (LITERAL same name or `*`,
 *   PREFIXED a prefix of the name), whose principal is the session's or `User:*`, and whose host
 *   is the client's address or `*`;
 * - a DENY binding for the operation (or ALL) wins over every ALLOW;
 * - an ALLOW binding for the operation or ALL allows; DESCRIBE is also allowed by READ, WRITE,
 *   DELETE or ALTER, and DESCRIBE_CONFIGS by ALTER_CONFIGS (implied operations; a DENY never
 *   implies: DENY READ does not deny DESCRIBE);
 * - a resource no binding covers at all (whoever the principal) is allowed only when
 *   `allow.everyone.if.no.acl.found=true`; otherwise everything not allowed is denied.
 * authorizeByResourceType (Kafka's Authorizer default method, used by InitProducerId without a
 * transactional id: WRITE on any topic): allowed when some ALLOW binding of that resource type
 * for the principal and host grants the operation and no DENY of the same principal covers it
 * (a DENY on LITERAL `*`, or a DENY pattern covering the ALLOW's pattern).
 * Samsa: the index is rebuilt lazily when the image's binding list changes (it is immutable, so
 * identity is enough); hosts are compared as the socket reports them, with IPv4-mapped IPv6
 * addresses (::ffff:1.2.3.4) also matching their IPv4 form.
 */
import { AclOperation } from '../broker/authorized-operations.js';
import type { Action, Authorizer } from '../broker/gate/authorizer.js';
import { principalToString, type Session } from '../broker/gate/session.js';
import type { MetadataImage } from '../metadata/image.js';
import { AclOp, PatternType, PermissionType, WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE, type AclBinding } from './acl.js';

export interface StandardAuthorizerOptions {
  /** super.users, already split (`User:admin`). */
  readonly superUsers: readonly string[];
  readonly allowEveryoneIfNoAclFound: boolean;
}

/**
 * Bindings by (resource type, name): literal ones by their name, prefixed ones by their prefix
 * with the prefix lengths in use per type, so a lookup costs one map probe per distinct prefix
 * length rather than a scan of every prefixed binding.
 */
interface AclIndex {
  readonly literal: Map<string, AclBinding[]>;
  readonly prefixed: Map<string, AclBinding[]>;
  readonly prefixLengths: Map<number, number[]>;
  readonly byType: Map<number, AclBinding[]>;
}

function push<K>(m: Map<K, AclBinding[]>, k: K, b: AclBinding): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [b]);
  else list.push(b);
}

function indexOf(acls: readonly AclBinding[]): AclIndex {
  const literal = new Map<string, AclBinding[]>();
  const prefixed = new Map<string, AclBinding[]>();
  const lengths = new Map<number, Set<number>>();
  const byType = new Map<number, AclBinding[]>();
  for (const b of acls) {
    const k = `${b.resourceType}\u0000${b.resourceName}`;
    if (b.patternType === PatternType.LITERAL) push(literal, k, b);
    else {
      push(prefixed, k, b);
      let l = lengths.get(b.resourceType);
      if (l === undefined) lengths.set(b.resourceType, (l = new Set()));
      l.add(b.resourceName.length);
    }
    push(byType, b.resourceType, b);
  }
  const prefixLengths = new Map([...lengths].map(([t, l]) => [t, [...l].sort((x, y) => x - y)]));
  return { literal, prefixed, prefixLengths, byType };
}

/** The bindings whose pattern covers the resource (literal name, literal `*`, prefixes of the name). */
function covering(index: AclIndex, type: number, name: string): AclBinding[] {
  const out: AclBinding[] = [];
  const add = (list: AclBinding[] | undefined): void => {
    if (list !== undefined) for (const b of list) out.push(b);
  };
  add(index.literal.get(`${type}\u0000${name}`));
  if (name !== WILDCARD_RESOURCE) add(index.literal.get(`${type}\u0000${WILDCARD_RESOURCE}`));
  for (const len of index.prefixLengths.get(type) ?? []) {
    if (len > name.length) break;
    add(index.prefixed.get(`${type}\u0000${name.slice(0, len)}`));
  }
  return out;
}

/** The operations an ALLOW of `op` also grants (Kafka's implied operations). */
function allowGrants(aclOp: number, op: number): boolean {
  if (aclOp === AclOp.ALL || aclOp === op) return true;
  if (op === AclOperation.DESCRIBE) return aclOp === AclOperation.READ || aclOp === AclOperation.WRITE || aclOp === AclOperation.DELETE || aclOp === AclOperation.ALTER;
  if (op === AclOperation.DESCRIBE_CONFIGS) return aclOp === AclOperation.ALTER_CONFIGS;
  return false;
}

/** Host strings a client address matches (the socket's form and, for IPv4-mapped IPv6, the IPv4 one). */
function hostsOf(address: string): readonly string[] {
  return address.startsWith('::ffff:') ? [address, address.slice(7)] : [address];
}

export class StandardAuthorizer implements Authorizer {
  readonly allowsEverything = false;
  private readonly superUsers: ReadonlySet<string>;
  private cached: { acls: readonly AclBinding[]; index: AclIndex } | undefined;

  constructor(
    private readonly image: () => MetadataImage,
    private readonly opts: StandardAuthorizerOptions,
  ) {
    this.superUsers = new Set(opts.superUsers);
  }

  private index(): AclIndex {
    const acls = this.image().acls();
    if (this.cached?.acls !== acls) this.cached = { acls, index: indexOf(acls) };
    return this.cached.index;
  }

  authorize(session: Session, actions: readonly Action[]): readonly boolean[] {
    const principal = principalToString(session.principal);
    if (this.superUsers.has(principal)) return actions.map(() => true);
    const index = this.index();
    const hosts = hostsOf(session.clientAddress);
    return actions.map((a) => this.one(index, principal, hosts, a));
  }

  private one(index: AclIndex, principal: string, hosts: readonly string[], a: Action): boolean {
    const candidates = covering(index, a.resource.type, a.resource.name);
    if (candidates.length === 0) return this.opts.allowEveryoneIfNoAclFound;
    let allowed = false;
    for (const b of candidates) {
      if (b.principal !== principal && b.principal !== WILDCARD_PRINCIPAL) continue;
      if (b.host !== WILDCARD_HOST && !hosts.includes(b.host)) continue;
      if (b.permissionType === PermissionType.DENY) {
        if (b.operation === AclOp.ALL || b.operation === a.operation) return false;
      } else if (allowGrants(b.operation, a.operation)) allowed = true;
    }
    return allowed;
  }

  /** Kafka's authorizeByResourceType: may the session do `operation` on some resource of `resourceType`? */
  authorizeByResourceType(session: Session, operation: number, resourceType: number): boolean {
    const principal = principalToString(session.principal);
    if (this.superUsers.has(principal)) return true;
    const bindings = this.index().byType.get(resourceType) ?? [];
    if (bindings.length === 0) return this.opts.allowEveryoneIfNoAclFound;
    const hosts = hostsOf(session.clientAddress);
    const mine = bindings.filter(
      (b) => (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === WILDCARD_HOST || hosts.includes(b.host)) && (b.operation === AclOp.ALL || b.operation === operation),
    );
    const denies = mine.filter((b) => b.permissionType === PermissionType.DENY);
    if (denies.some((d) => d.patternType === PatternType.LITERAL && d.resourceName === WILDCARD_RESOURCE)) return false;
    return mine.some(
      (b) =>
        b.permissionType === PermissionType.ALLOW &&
        !denies.some((d) => (d.patternType === PatternType.LITERAL ? d.resourceName === b.resourceName && b.patternType === PatternType.LITERAL : b.resourceName.startsWith(d.resourceName))),
    );
  }
}

/** super.users as Kafka reads it: principals separated by ';'. */
export function parseSuperUsers(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
