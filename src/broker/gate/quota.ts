/**
 * The third step of the gate: is this client over its quota? Kafka's rule (KIP-13, KIP-124,
 * KIP-219): produce/fetch byte rates and request-time percentages are measured per user and/or
 * client id; a client over its quota gets the delay in the response's `throttleTimeMs`, and the
 * broker mutes the channel for that long after sending it (responses of v2+ Produce/Fetch etc.
 * are sent at once; older ones are delayed).
 * Samsa: the broker's ClientQuotaManager (quotas/client-quotas.ts) from the client quotas in the
 * metadata; `unlimitedQuotas` (no quota, throttle 0) is for embedders that want none. The router writes the quota step's
 * throttle time into every response that has the field: it is the only source of
 * `throttleTimeMs` (a handler's own value is overwritten). A throttle above 0 also mutes the
 * request's connection for that long on the broker's scheduler (Connection.throttle): the answer
 * goes out at once, for every request version (Kafka delays the answer of pre-KIP-219 versions),
 * and the APIs in RESPONSES_WITHOUT_THROTTLE never mute.
 */
import type { RequestContext } from '../handler.js';

export interface QuotaManager {
  /**
   * Records one request of `requestBytes` (the frame) and answers the throttle time, in
   * milliseconds, its response carries (0 = not throttled). `req` is the decoded request, which
   * the step may narrow before the handler sees it (a quota caps a consumer's Fetch size).
   */
  throttleTimeMs(ctx: RequestContext, requestBytes: number, req?: unknown): number;
  /**
   * Optional second step, once the handler has answered: records what only the answer knows (a
   * Fetch's response bytes, the time the request took, `handlerNs` nanoseconds) and answers a
   * throttle time; the response carries the larger of the two steps' times.
   */
  /** Whether afterResponse has anything to do now (absent: always); false skips its measurements. */
  enabled?(): boolean;
  afterResponse?(ctx: RequestContext, req: unknown, res: unknown, handlerNs: number): number;
  /**
   * Optional: the answer sent instead of `res` when afterResponse's step throttles it (Kafka's
   * throttled Fetch carries no records: KafkaApis answers fetchContext.getThrottledResponse and
   * un-records the bytes it will not send). Absent or returning `res`: the answer goes as is.
   */
  throttledResponse?(ctx: RequestContext, req: unknown, res: unknown): unknown;
}

export const unlimitedQuotas: QuotaManager = {
  throttleTimeMs() {
    return 0;
  },
};

/**
 * API keys (among the generated messages) whose response has no top-level ThrottleTimeMs field:
 * SaslHandshake (17), WriteTxnMarkers (27), SaslAuthenticate (36), the share coordinator's
 * Initialize/Read/Write/DeleteShareGroupState and ReadShareGroupStateSummary (83-87), and the controller/broker internal APIs Samsa does not serve.
 * Checked against the schemas by test/broker/gate.
 */
export const RESPONSES_WITHOUT_THROTTLE: ReadonlySet<number> = new Set([17, 27, 36, 83, 84, 85, 86, 87]);
