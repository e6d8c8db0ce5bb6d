/**
 * The client quota manager (Kafka's ClientQuotaManager for produce and fetch bytes and
 * ClientRequestQuotaManager for request time, KIP-13 / KIP-55 / KIP-124 / KIP-219), the gate's
 * quota step when the broker runs with its own quotas.
 * Kafka's rules:
 * - Produce counts the request's bytes against `producer_byte_rate`, Fetch from a consumer the
 *   response's bytes against `consumer_byte_rate` (followers' fetches are replication, never client
 *   quota), every request the time the broker spent on it against `request_percentage` (percent of
 *   one request thread per second: 100 = one thread's whole time).
 * - A client's quota and the rate it shares are resolved by entity precedence (quota-entity.ts).
 * - CreateTopics, CreatePartitions and DeleteTopics also carry the controller_mutation_rate
 *   throttle of the request (controller-mutation-quota.ts), the larger throttle applying.
 * - Over its bound, the client's response carries the throttle (sampled-rate.ts) and the channel is
 *   muted for it; the larger of the byte-rate and request-time throttles applies.
 * - A consumer's Fetch asks for at most bound × (quota.window.num − 1) × window bytes.
 * - A consumer's Fetch that is throttled (by its byte rate or its request time) is answered with
 *   no partitions (error NONE, the throttle time; a full fetch with no session, an incremental one
 *   with its session) and its bytes are un-recorded from the byte rate: the records are read
 *   again once the throttle is over (KafkaApis.handleFetchRequest, getThrottledResponse).
 * Samsa deviations: Fetch counts the records bytes of the response (Kafka the whole response); request time is the synchronous handling time
 * on the event loop (decode and handler; Kafka's request-thread time), so time spent waiting (a
 * long-polling Fetch, acks=all) is not counted.
 * With no quota configured anywhere, each step is one boolean check (the fast path).
 */
import type { Clock } from '../../common/clock.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { FetchRequest, FetchResponse } from '../../protocol/generated/messages/fetch.js';
import type { RequestContext } from '../handler.js';
import type { QuotaManager } from '../gate/quota.js';
import { candidates, QuotaKey } from './quota-entity.js';
import { ErrorCode } from '../../common/error-codes.js';
import type { ControllerMutationQuotas } from './controller-mutation-quota.js';
import { SampledRate } from '../../common/sampled-rate.js';

export interface ClientQuotaOptions {
  /** The current metadata image (its client quotas). */
  image(): MetadataImage;
  clock: Clock;
  /** quota.window.size.seconds, in ms. */
  windowMs: number;
  /** quota.window.num */
  numWindows: number;
  /** The broker's fetch sessions (a throttled Fetch leaves them as Kafka does; absent: untouched). */
  fetchSessions?: { throttled(sessionId: number, full: boolean): void };
  /** controller_mutation_rate, charged by the topic handlers (absent: its throttle is not reported). */
  mutations?: Pick<ControllerMutationQuotas, 'throttleTimeMs'>;
}

interface Resolved {
  readonly bound: number;
  /** The key of the rate this client shares (quota key + entity). */
  readonly rateKey: string;
}

const PRODUCE = 0;
const FETCH = 1;
/** CreateTopics, DeleteTopics, CreatePartitions: charged to controller_mutation_rate. */
const MUTATIONS: ReadonlySet<number> = new Set([19, 20, 37]);
/** Rates not recorded for this long are dropped (Kafka expires quota sensors after an hour). */
const RATE_EXPIRY_MS = 3_600_000;

export class ClientQuotaManager implements QuotaManager {
  private readonly rates = new Map<string, SampledRate>();
  /** (user, client id, quota key) → the quota that applies, for `resolvedFor`. */
  private readonly resolved = new Map<string, Resolved | null>();
  private resolvedFor: MetadataImage | undefined;
  private recordsSinceSweep = 0;

  constructor(private readonly opts: ClientQuotaOptions) {}

  throttleTimeMs(ctx: RequestContext, requestBytes: number, req?: unknown): number {
    if (ctx.apiKey === FETCH && req !== undefined) {
      const image = this.opts.image();
      if (image.hasClientQuotas) this.capFetch(image, ctx, req as FetchRequest);
      return 0;
    }
    if (ctx.apiKey !== PRODUCE) return 0;
    const image = this.opts.image();
    if (!image.hasClientQuotas) return 0;
    return this.record(image, ctx, QuotaKey.producerByteRate, requestBytes);
  }

  /**
   * Kafka's cap on a consumer's Fetch: at most what its quota allows over the measured span,
   * bound × (quota.window.num − 1) × window (a response may still hold one whole batch, KIP-74),
   * so a single answer cannot carry many times the quota.
   */
  private capFetch(image: MetadataImage, ctx: RequestContext, req: FetchRequest): void {
    if ((ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0) return;
    const r = this.resolve(image, ctx.session.principal.name, ctx.clientId ?? '', QuotaKey.consumerByteRate);
    if (r === null) return;
    const cap = Math.max(1, Math.floor((r.bound * (this.opts.numWindows - 1) * this.opts.windowMs) / 1000));
    if (req.maxBytes > cap) req.maxBytes = cap;
  }

  enabled(): boolean {
    return this.opts.image().hasClientQuotas;
  }

  afterResponse(ctx: RequestContext, req: unknown, res: unknown, handlerNs: number): number {
    const image = this.opts.image();
    if (!image.hasClientQuotas) return 0;
    let throttle = 0;
    if (ctx.apiKey === FETCH) {
      const f = req as FetchRequest;
      const replicaId = ctx.apiVersion >= 15 ? f.replicaState.replicaId : f.replicaId;
      if (replicaId >= 0) return 0;
      throttle = this.record(image, ctx, QuotaKey.consumerByteRate, fetchedBytes(res as FetchResponse));
    }
    // Percent of one thread, per second: a request taking t ms adds t / 10.
    const t = this.record(image, ctx, QuotaKey.requestPercentage, handlerNs / 1e7);
    if (MUTATIONS.has(ctx.apiKey) && this.opts.mutations !== undefined) throttle = this.opts.mutations.throttleTimeMs(ctx);
    return Math.max(throttle, t);
  }

  /**
   * A throttled consumer Fetch: answered with no partitions, its bytes un-recorded (Kafka's
   * getThrottledResponse). Other answers go as they are.
   */
  throttledResponse(ctx: RequestContext, req: unknown, res: unknown): unknown {
    if (ctx.apiKey !== FETCH) return res;
    const f = req as FetchRequest;
    if ((ctx.apiVersion >= 15 ? f.replicaState.replicaId : f.replicaId) >= 0) return res;
    const r = res as FetchResponse;
    if (r.errorCode !== ErrorCode.NONE) return res;
    const bytes = fetchedBytes(r);
    if (bytes > 0) this.record(this.opts.image(), ctx, QuotaKey.consumerByteRate, -bytes);
    // v7+ sessions: a new session (epoch 0) is not kept; an incremental one is.
    const sessions = ctx.apiVersion >= 7 && r.sessionId !== 0;
    const full = f.sessionEpoch === 0;
    if (sessions) this.opts.fetchSessions?.throttled(r.sessionId, full);
    return { ...r, errorCode: ErrorCode.NONE, sessionId: sessions && !full ? r.sessionId : 0, responses: [] };
  }

  /** The bound and measured rate (per second) of a client's quota, for tests and tools. */
  measured(user: string, clientId: string, key: string): { bound: number; rate: number } | undefined {
    const r = this.resolve(this.opts.image(), user, clientId, key);
    if (r === null) return undefined;
    return { bound: r.bound, rate: this.rates.get(r.rateKey)?.rate(this.opts.clock.now()) ?? 0 };
  }

  private record(image: MetadataImage, ctx: RequestContext, key: string, value: number): number {
    const r = this.resolve(image, ctx.session.principal.name, ctx.clientId ?? '', key);
    if (r === null) return 0;
    const now = this.opts.clock.now();
    let rate = this.rates.get(r.rateKey);
    if (rate === undefined) {
      rate = new SampledRate(this.opts.windowMs, this.opts.numWindows);
      this.rates.set(r.rateKey, rate);
    }
    rate.record(value, now);
    if (++this.recordsSinceSweep >= 10_000) this.sweep(now);
    return rate.throttleMs(r.bound, now);
  }

  private resolve(image: MetadataImage, user: string, clientId: string, key: string): Resolved | null {
    if (this.resolvedFor !== image) {
      this.resolved.clear();
      this.resolvedFor = image;
    }
    const cacheKey = `${key}\u0000${user}\u0000${clientId}`;
    let r = this.resolved.get(cacheKey);
    if (r !== undefined) return r;
    r = null;
    for (const c of candidates(user, clientId)) {
      const bound = image.clientQuotas(c.key)?.[key];
      if (bound !== undefined) {
        r = { bound, rateKey: `${key}|${c.metric}` };
        break;
      }
    }
    if (this.resolved.size >= 100_000) this.resolved.clear();
    this.resolved.set(cacheKey, r);
    return r;
  }

  private sweep(now: number): void {
    this.recordsSinceSweep = 0;
    for (const [k, rate] of this.rates) if (now - rate.lastRecordMs > RATE_EXPIRY_MS) this.rates.delete(k);
  }
}

/** The records bytes of a Fetch response (single buffers or chunk lists). */
function fetchedBytes(res: FetchResponse): number {
  let bytes = 0;
  for (const t of res.responses ?? []) {
    for (const p of t.partitions) {
      const r = p.records as Uint8Array | readonly Uint8Array[] | null;
      if (r === null) continue;
      if (r instanceof Uint8Array) bytes += r.length;
      else for (const c of r) bytes += c.length;
    }
  }
  return bytes;
}
