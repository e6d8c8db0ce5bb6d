/**
 * The gate between decoding a request and its handler (Kafka: the SocketServer's authenticated
 * channel, then KafkaApis' authorization, then the quota managers):
 *   authenticate (once per connection) → authorize(operation, resource) → quota → handler.
 * The router asks the gate for the session of a connection, for the authorization outcome of a
 * decoded request, and for the throttle time it writes into the response.
 * Samsa today: sessions from the connection's TLS or SASL principal (anonymous over PLAINTEXT), the
 * configured authorizer (allow-all without authorizer.class.name), and the broker's client quotas
 * (quotas/client-quotas.ts; `unlimitedQuotas` when built without options);
 * each is replaceable (`new Broker(config, { gate: {...} })`, `startBroker({ gate })`).
 */
import type { ConnectionInfo, RequestContext } from '../handler.js';
import type { Check, GateOutcome, TopicNames } from './access-rule.js';
import { accessRules } from './access-rules.js';
import { connectionAuthenticator, type Authenticator } from './authenticator.js';
import { allowAllAuthorizer, type Action, type Authorizer } from './authorizer.js';
import { unlimitedQuotas, type QuotaManager } from './quota.js';
import type { Session } from './session.js';

export interface GateOptions {
  readonly authenticator?: Authenticator;
  readonly authorizer?: Authorizer;
  readonly quotas?: QuotaManager;
}

export class RequestGate {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly quotas: QuotaManager;
  private readonly sessions = new WeakMap<ConnectionInfo, Session>();

  /** `topicNames` resolves the topic ids some requests name (the broker gives its metadata image's). */
  constructor(
    private readonly topicNames: TopicNames,
    opts: GateOptions = {},
  ) {
    this.authenticator = opts.authenticator ?? connectionAuthenticator;
    this.authorizer = opts.authorizer ?? allowAllAuthorizer;
    this.quotas = opts.quotas ?? unlimitedQuotas;
  }

  /**
   * The connection's session, built on its first request once it has authenticated (a SASL
   * connection's ApiVersions before that gets a session that is not kept).
   */
  session(conn: ConnectionInfo): Session {
    let s = this.sessions.get(conn);
    if (s === undefined) {
      s = this.authenticator.authenticate(conn);
      if (conn.principal !== null) this.sessions.set(conn, s);
    }
    return s;
  }

  /** undefined: the request goes to its handler as it is (always so with the allow-all authorizer). */
  authorize(ctx: RequestContext, req: unknown): GateOutcome<unknown, unknown> | undefined {
    if (this.authorizer.allowsEverything) return undefined;
    const rule = accessRules.get(ctx.apiKey);
    if (rule === undefined) return undefined;
    const authorizer = this.authorizer;
    const check = ((actions: readonly Action[]) => (actions.length === 0 ? [] : authorizer.authorize(ctx.session, actions))) as Check;
    check.byResourceType = (operation, resourceType) =>
      authorizer.authorizeByResourceType?.(ctx.session, operation, resourceType) ??
      authorizer.authorize(ctx.session, [{ operation: operation as Action['operation'], resource: { type: resourceType as Action['resource']['type'], name: '*' } }])[0] === true;
    return rule.check(ctx, req, check, this.topicNames);
  }

  /** The response's throttle time: the quota step is its only source. */
  throttleTimeMs(ctx: RequestContext, requestBytes: number, req?: unknown): number {
    return this.quotas.throttleTimeMs(ctx, requestBytes, req);
  }
}
