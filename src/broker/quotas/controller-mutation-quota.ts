/**
 * The controller mutation quota (KIP-599, Kafka's ControllerMutationQuotaManager): the
 * `controller_mutation_rate` of user / client-id quota entities, in partitions created or deleted
 * per second, charged by CreateTopics (each topic's partitions), CreatePartitions (the partitions
 * added) and DeleteTopics (each topic's partitions).
 * Kafka's rules:
 * - The quota is resolved as the other client quotas are (quota-entity.ts: the eight entities in
 *   precedence order), and measured by a token bucket: it holds at most
 *   rate × controller.quota.window.num × controller.quota.window.size.seconds tokens, starts full,
 *   refills at the rate, and each mutated partition takes one token.
 * - Strict, for the request versions that can carry the error (CreateTopics v6+, CreatePartitions
 *   v3+, DeleteTopics v5+): a topic is refused with THROTTLING_QUOTA_EXCEEDED when the bucket is
 *   already below zero (a topic that takes it below zero is still accepted); the response's
 *   throttle_time_ms is the time until the bucket is back at zero (counted from the refusal).
 * - Permissive, for older versions: every mutation is accepted, and once the bucket is below zero
 *   the response is throttled for the time until it is back at zero.
 * - validateOnly requests and topics refused for another reason are not charged.
 * Samsa deviation: each broker measures the mutations it receives (Kafka measures them on the
 * controller, which every broker forwards them to).
 */
import type { Clock } from '../../common/clock.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { RequestContext } from '../handler.js';
import { candidates, QuotaKey } from './quota-entity.js';

export interface ControllerMutationQuotaOptions {
  image(): MetadataImage;
  clock: Clock;
  /** controller.quota.window.size.seconds, in ms. */
  windowMs: number;
  /** controller.quota.window.num */
  numWindows: number;
}

/** One request's view of its client's quota. */
export interface MutationQuota {
  /** Charges `partitions` mutated partitions; throws KafkaError THROTTLING_QUOTA_EXCEEDED when strict and exhausted. */
  record(partitions: number): void;
}

const UNBOUNDED: MutationQuota = { record: () => undefined };
/** Buckets not used for this long are dropped (Kafka expires quota sensors after an hour). */
const EXPIRY_MS = 3_600_000;

class TokenBucket {
  tokens: number;
  lastMs: number;

  constructor(readonly burst: number, now: number) {
    this.tokens = burst;
    this.lastMs = now;
  }

  refill(rate: number, now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (rate * Math.max(0, now - this.lastMs)) / 1000);
    this.lastMs = now;
    return this.tokens;
  }
}

interface Throttle {
  ms: number;
  atMs: number;
}

export class ControllerMutationQuotas {
  private readonly buckets = new Map<string, TokenBucket>();
  /** The throttle of each request that recorded one (read by the quota step for the response). */
  private readonly throttles = new WeakMap<RequestContext, Throttle>();
  private usesSinceSweep = 0;

  constructor(private readonly opts: ControllerMutationQuotaOptions) {}

  /** The quota of the request's client; `strictSince`: the first request version that is refused rather than throttled. */
  forRequest(ctx: RequestContext, strictSince: number): MutationQuota {
    const image = this.opts.image();
    if (!image.hasClientQuotas) return UNBOUNDED;
    const found = this.resolve(image, ctx.session.principal.name, ctx.clientId ?? '');
    if (found === undefined) return UNBOUNDED;
    const strict = ctx.apiVersion >= strictSince;
    return {
      record: (partitions: number): void => {
        if (partitions <= 0) return;
        const now = this.opts.clock.now();
        const bucket = this.bucket(found.key, found.rate, now);
        if (strict) {
          if (bucket.refill(found.rate, now) < 0) {
            this.throttles.set(ctx, { ms: throttleMs(bucket.tokens, found.rate), atMs: now });
            throw new KafkaError(ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'The throttling quota has been exceeded.');
          }
          bucket.tokens -= partitions;
          return;
        }
        bucket.refill(found.rate, now);
        bucket.tokens -= partitions;
        if (bucket.tokens < 0) this.throttles.set(ctx, { ms: throttleMs(bucket.tokens, found.rate), atMs: now });
      },
    };
  }

  /** The throttle time of a request that mutated (0 if it recorded none), less the time since it was recorded. */
  throttleTimeMs(ctx: RequestContext): number {
    const t = this.throttles.get(ctx);
    if (t === undefined) return 0;
    return Math.max(0, Math.round(t.ms - (this.opts.clock.now() - t.atMs)));
  }

  private bucket(key: string, rate: number, now: number): TokenBucket {
    const burst = (rate * this.opts.numWindows * this.opts.windowMs) / 1000;
    let b = this.buckets.get(key);
    if (b === undefined || b.burst !== burst) {
      // A changed quota starts a new bucket, keeping the debt of the old one.
      const debt = b === undefined ? 0 : Math.min(0, b.refill(rate, now));
      b = new TokenBucket(burst, now);
      b.tokens += debt;
      this.buckets.set(key, b);
    }
    if (++this.usesSinceSweep >= 1000) {
      this.usesSinceSweep = 0;
      for (const [k, old] of this.buckets) if (now - old.lastMs > EXPIRY_MS) this.buckets.delete(k);
    }
    return b;
  }

  private resolve(image: MetadataImage, user: string, clientId: string): { key: string; rate: number } | undefined {
    for (const c of candidates(user, clientId)) {
      const rate = image.clientQuotas(c.key)?.[QuotaKey.controllerMutationRate];
      if (rate !== undefined) return { key: c.metric, rate };
    }
    return undefined;
  }
}

/** Kafka's throttle for a token bucket below zero: the time to refill to zero. */
function throttleMs(tokens: number, rate: number): number {
  return Math.max(1, Math.round((-tokens / rate) * 1000));
}
