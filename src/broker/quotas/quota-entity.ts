/**
 * Client quota entities and keys (Kafka's ClientQuotaEntity, KIP-55 / KIP-546).
 * Kafka's rules: an entity is a user, a client id, or a (user, client id) pair; each part names one
 * user / client id, or the default (null in the protocol, `<default>` in Kafka's ZooKeeper paths).
 * The quota keys of these entities are `producer_byte_rate`, `consumer_byte_rate`,
 * `request_percentage` and `controller_mutation_rate` (a double each); a client's quota of one key
 * comes from the first of eight entities, in this order (Kafka's DefaultQuotaCallback):
 *   user+client, user+<default client>, user, <default user>+client,
 *   <default user>+<default client>, <default user>, client, <default client>.
 * Clients that share the entity the quota came from share its measured rate, except that a
 * default stands for each name separately (every user under `<default>` has a rate of its own).
 * The `ip` entity (KIP-612) stands alone (an address or the default ip) and has one key,
 * `connection_creation_rate` (connections accepted per second from one address: network/server.ts);
 * an address's quota is its own entity's, else the default ip entity's.
 * The entity key: `user=<name>` and/or `client-id=<name>` joined by ',' (user first), or
 * `ip=<address>`, a name percent-encoded (encodeURIComponent) and the default written `<default>`
 * (its encoding differs).
 */

/** One part of an entity: absent (undefined), the default (null), or a name. */
export type EntityName = string | null | undefined;

export interface QuotaEntity {
  readonly user?: string | null;
  readonly clientId?: string | null;
  /** An ip entity (alone): an address, or null for the default ip. */
  readonly ip?: string | null;
}

export const QuotaKey = {
  producerByteRate: 'producer_byte_rate',
  consumerByteRate: 'consumer_byte_rate',
  requestPercentage: 'request_percentage',
  controllerMutationRate: 'controller_mutation_rate',
  connectionCreationRate: 'connection_creation_rate',
} as const;
export type QuotaKey = (typeof QuotaKey)[keyof typeof QuotaKey];

export const QUOTA_KEYS: ReadonlySet<string> = new Set(Object.values(QuotaKey));
/** The keys of user / client-id entities. */
export const CLIENT_QUOTA_KEYS: ReadonlySet<string> = new Set([QuotaKey.producerByteRate, QuotaKey.consumerByteRate, QuotaKey.requestPercentage, QuotaKey.controllerMutationRate]);
/** The keys of ip entities. */
export const IP_QUOTA_KEYS: ReadonlySet<string> = new Set([QuotaKey.connectionCreationRate]);

export const EntityType = { user: 'user', clientId: 'client-id', ip: 'ip' } as const;

const DEFAULT = '<default>';

function part(type: string, name: string | null): string {
  return `${type}=${name === null ? DEFAULT : encodeURIComponent(name)}`;
}

/** The canonical key of an entity (the image's map key and the etcd path parts). */
export function entityKey(e: QuotaEntity): string {
  if (e.ip !== undefined) return part(EntityType.ip, e.ip);
  const parts: string[] = [];
  if (e.user !== undefined) parts.push(part(EntityType.user, e.user));
  if (e.clientId !== undefined) parts.push(part(EntityType.clientId, e.clientId));
  return parts.join(',');
}

/** The entity of a key made by entityKey; undefined when `key` is not one. */
export function parseEntityKey(key: string): QuotaEntity | undefined {
  const out: { user?: string | null; clientId?: string | null; ip?: string | null } = {};
  const parts = key.split(',');
  if (parts.length === 0 || parts.length > 2) return undefined;
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) return undefined;
    const type = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    let name: string | null;
    try {
      name = raw === DEFAULT ? null : decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (type === EntityType.ip && parts.length === 1) out.ip = name;
    else if (type === EntityType.user && out.user === undefined && out.clientId === undefined) out.user = name;
    else if (type === EntityType.clientId && out.clientId === undefined) out.clientId = name;
    else return undefined;
  }
  return out;
}

/** The entity as the protocol writes it: [entityType, entityName (null = default)] pairs. */
export function entityParts(e: QuotaEntity): { entityType: string; entityName: string | null }[] {
  const out: { entityType: string; entityName: string | null }[] = [];
  if (e.ip !== undefined) out.push({ entityType: EntityType.ip, entityName: e.ip });
  if (e.user !== undefined) out.push({ entityType: EntityType.user, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: EntityType.clientId, entityName: e.clientId });
  return out;
}

/**
 * The eight candidate entities of a (user, client id), in Kafka's precedence order, each with the
 * key of the rate it measures (defaults replaced by the client's own names).
 */
export function candidates(user: string, clientId: string): readonly { readonly key: string; readonly metric: string }[] {
  const both = entityKey({ user, clientId });
  const justUser = entityKey({ user });
  const justClient = entityKey({ clientId });
  return [
    { key: both, metric: both },
    { key: entityKey({ user, clientId: null }), metric: both },
    { key: justUser, metric: justUser },
    { key: entityKey({ user: null, clientId }), metric: both },
    { key: entityKey({ user: null, clientId: null }), metric: both },
    { key: entityKey({ user: null }), metric: justUser },
    { key: justClient, metric: justClient },
    { key: entityKey({ clientId: null }), metric: justClient },
  ];
}
