/**
 * Reading and changing the client quotas of the metadata (what DescribeClientQuotas and
 * AlterClientQuotas do; Kafka's ClientQuotaControlManager and ClientQuotasImage.describe).
 * Kafka's rules:
 * - An entity names each of `user` / `client-id` at most once (or `ip` alone); otherwise the entry
 *   fails with INVALID_REQUEST. An ip entity names an address (or the default ip).
 * - Quota keys of user / client-id entities: producer_byte_rate and consumer_byte_rate (whole
 *   numbers), request_percentage and controller_mutation_rate; of ip entities:
 *   connection_creation_rate (a whole number). A value must be above 0. An unknown key (or one of
 *   the other kind of entity) or a bad value fails its entry with INVALID_REQUEST; the other
 *   entries still apply.
 * - Each op sets a key or removes it (removing an absent key is no error); an entity left with no
 *   key is deleted.
 * - Describe filters: a component matches an entity type by EXACT name (0), the DEFAULT (1), or
 *   ANY specified name (2, not the default); `strict` asks for entities with no other types.
 * Samsa deviation: an ip entity's name must be an IP address (Kafka also takes a host name it can
 * resolve).
 * Changes are serialized on this broker and committed as one metadata delta of operations (set or
 * remove one key), so concurrent changes on two brokers of a cluster both apply.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { MetadataStore } from '../../metadata/store.js';
import { isIP } from 'node:net';
import { CLIENT_QUOTA_KEYS, entityKey, EntityType, IP_QUOTA_KEYS, parseEntityKey, QuotaKey, type QuotaEntity } from './quota-entity.js';

export interface EntityPart {
  readonly entityType: string;
  readonly entityName: string | null;
}

export const MatchType = { exact: 0, default: 1, any: 2 } as const;

export interface QuotaFilterComponent {
  readonly entityType: string;
  readonly matchType: number;
  readonly match: string | null;
}

/** The entity of the protocol's parts; throws KafkaError INVALID_REQUEST when it is not a valid one. */
export function entityOf(parts: readonly EntityPart[]): QuotaEntity {
  const out: { user?: string | null; clientId?: string | null } = {};
  if (parts.length === 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity');
  for (const p of parts) {
    if (p.entityType === EntityType.ip) {
      if (parts.length > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid quota entity combination: ip with another entity type');
      if (p.entityName !== null && isIP(p.entityName) === 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `${p.entityName} is not a valid IP address`);
      return { ip: p.entityName };
    }
    if (p.entityType === EntityType.user) {
      if ('user' in out) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate user entity type');
      out.user = p.entityName;
    } else if (p.entityType === EntityType.clientId) {
      if ('clientId' in out) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate client-id entity type');
      out.clientId = p.entityName;
    } else {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unhandled client quota entity type: ${p.entityType}`);
    }
  }
  return out;
}

const WHOLE_NUMBER_KEYS: ReadonlySet<string> = new Set([QuotaKey.producerByteRate, QuotaKey.consumerByteRate, QuotaKey.connectionCreationRate]);

/** Throws KafkaError INVALID_REQUEST when `key` = `value` is not a valid quota (of an ip entity when `ip`). */
export function validateQuota(key: string, value: number, ip = false): void {
  if (!(ip ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS).has(key)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${key}`);
  if (!Number.isFinite(value) || value <= 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid value ${value} for configuration key ${key}: must be above 0`);
  if (WHOLE_NUMBER_KEYS.has(key) && !Number.isInteger(value)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Integer value required for configuration key ${key}, got ${value}`);
}

export interface QuotaOp {
  readonly key: string;
  readonly value: number;
  readonly remove: boolean;
}

/** The quotas of an entity after `ops` (validated first; throws KafkaError INVALID_REQUEST); `ip`: of an ip entity. */
export function applyOps(current: Readonly<Record<string, number>> | undefined, ops: readonly QuotaOp[], ip = false): Record<string, number> {
  const next: Record<string, number> = { ...(current ?? {}) };
  for (const op of ops) {
    if (op.remove) {
      if (!(ip ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS).has(op.key)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${op.key}`);
      delete next[op.key];
    } else {
      validateQuota(op.key, op.value, ip);
      next[op.key] = op.value;
    }
  }
  return next;
}

/** The entities of `image` a describe filter selects, with their quotas (throws KafkaError INVALID_REQUEST on a bad filter). */
export function describeQuotas(image: MetadataImage, components: readonly QuotaFilterComponent[], strict: boolean): { entity: QuotaEntity; quotas: Readonly<Record<string, number>> }[] {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType !== EntityType.user && c.entityType !== EntityType.clientId && c.entityType !== EntityType.ip) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown entity type ${c.entityType}`);
    if (seen.has(c.entityType)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter`);
    seen.add(c.entityType);
    if (c.matchType !== MatchType.exact && c.matchType !== MatchType.default && c.matchType !== MatchType.any) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
    if (c.matchType === MatchType.exact && c.match === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'An exact match needs a name');
  }
  if (seen.has(EntityType.ip) && seen.size > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination: ip with user or client-id');
  const out: { entity: QuotaEntity; quotas: Readonly<Record<string, number>> }[] = [];
  for (const [key, quotas] of image.clientQuotaEntries()) {
    const entity = parseEntityKey(key);
    if (entity === undefined) continue;
    const names: Map<string, string | null> = new Map();
    if (entity.ip !== undefined) names.set(EntityType.ip, entity.ip);
    if (entity.user !== undefined) names.set(EntityType.user, entity.user);
    if (entity.clientId !== undefined) names.set(EntityType.clientId, entity.clientId);
    if (strict && names.size !== components.length) continue;
    const matches = components.every((c) => {
      if (!names.has(c.entityType)) return false;
      const name = names.get(c.entityType) ?? null;
      if (c.matchType === MatchType.exact) return name === c.match;
      if (c.matchType === MatchType.default) return name === null;
      return name !== null;
    });
    if (matches) out.push({ entity, quotas });
  }
  return out;
}

export interface QuotaAlteration {
  readonly entity: readonly EntityPart[];
  readonly ops: readonly QuotaOp[];
}

/** Applies alterations in order, each all or nothing; the error code (and message) of each. */
export class QuotaAlterer {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Pick<MetadataStore, 'image' | 'commit'>) {}

  alter(entries: readonly QuotaAlteration[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }[]> {
    const run = this.queue.then(() => this.alterNow(entries, validateOnly));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async alterNow(entries: readonly QuotaAlteration[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }[]> {
    const image = this.store.image();
    const changed = new Map<string, Record<string, number>>();
    const ops: { entity: string; key: string; value: number | null }[] = [];
    const results = entries.map((e) => {
      try {
        const entity = entityOf(e.entity);
        const key = entityKey(entity);
        const next = applyOps(changed.get(key) ?? image.clientQuotas(key), e.ops, entity.ip !== undefined); // validates
        changed.set(key, next);
        for (const op of e.ops) ops.push({ entity: key, key: op.key, value: op.remove ? null : op.value });
        return { errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
        throw err;
      }
    });
    // Committed as operations, so a commit retried on a newer image (etcd) keeps other brokers' changes.
    if (!validateOnly && ops.length > 0) await this.store.commit({ clientQuotaOps: ops });
    return results;
  }
}
