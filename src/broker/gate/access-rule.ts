/**
 * What an API asks of the authorizer, and what a denial does to the request and its response.
 * Kafka's rule (KafkaApis): a resource the whole request is about (the cluster, a group, a
 * transactional id) denied fails the whole request with that resource's error
 * (CLUSTER_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
 * topics are checked one by one: the denied ones are answered with TOPIC_AUTHORIZATION_FAILED and
 * never reach the work, the others are served as usual.
 * Samsa: the rules of each API are in access-rules.ts; the router applies them (only when the
 * authorizer does not allow everything).
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { RequestContext } from '../handler.js';
import { topicResource, type Action } from './authorizer.js';

/** Asks the authorizer about some actions: one answer per action, true = allowed. */
export interface Check {
  (actions: readonly Action[]): readonly boolean[];
  /** Kafka's authorizeByResourceType: `operation` allowed on at least one resource of the type. */
  byResourceType(operation: number, resourceType: number): boolean;
}

/** What the rules look up beside the request (the metadata image and the broker's config). */
export interface TopicNames {
  nameOfId(topicId: string): string | undefined;
  /** Whether a topic of this name exists. */
  exists(name: string): boolean;
  /** auto.create.topics.enable (Metadata's auto-creation then needs CREATE). */
  autoCreateTopics(): boolean;
}

/** The single-action form of a check. */
export function allowed(authorize: Check, action: Action): boolean {
  return authorize([action])[0] === true;
}

export type GateOutcome<Req, Res> =
  /** The whole request is denied: answered with the handler's errorResponse(req, errorCode). */
  | { readonly kind: 'deny'; readonly errorCode: number }
  /** Some resources are denied: the handler gets `request`, and its answer goes through `complete`. */
  | { readonly kind: 'filtered'; readonly request: Req; complete(res: Res): Res }
  /** The request is not run; this is its answer (Kafka's "OPERATION_NOT_ATTEMPTED for the others" cases). */
  | { readonly kind: 'answer'; readonly response: Res };

export interface AccessRule<Req, Res> {
  readonly apiKey: number;
  /** undefined: everything the request names is allowed; it goes to the handler unchanged. */
  check(ctx: RequestContext, req: Req, authorize: Check, names: TopicNames): GateOutcome<Req, Res> | undefined;
}

/** Identity helper that keeps a rule's Req/Res types literal. */
export function defineRule<Req, Res>(r: AccessRule<Req, Res>): AccessRule<Req, Res> {
  return r;
}

/** One action on one resource the whole request is about (undefined: the request needs none). */
export function wholeRequest<Req, Res>(apiKey: number, errorCode: number, actionOf: (req: Req, ctx: RequestContext) => Action | undefined): AccessRule<Req, Res> {
  return {
    apiKey,
    check(ctx, req, authorize) {
      const action = actionOf(req, ctx);
      if (action === undefined || authorize([action])[0] === true) return undefined;
      return { kind: 'deny', errorCode };
    },
  };
}

/** How a per-topic rule reads and rebuilds one API's request and response. */
export interface TopicList<Req, Res, T> {
  topics(req: Req): readonly T[] | null;
  /** The topic's name (resolving an id through the metadata); undefined: let the handler answer it. */
  nameOf(t: T, ctx: RequestContext, names: TopicNames): string | undefined;
  withTopics(req: Req, topics: T[]): Req;
  /** The response with the denied topics' TOPIC_AUTHORIZATION_FAILED entries added. */
  addDenied(res: Res, denied: readonly T[], ctx: RequestContext): Res;
}

/** `operation` on each topic the request names; denied topics are answered by `list.addDenied`. */
export function perTopic<Req, Res, T>(apiKey: number, operation: Action['operation'], list: TopicList<Req, Res, T>): AccessRule<Req, Res> {
  return {
    apiKey,
    check(ctx, req, authorize, names) {
      const all = list.topics(req);
      if (all === null || all.length === 0) return undefined;
      const named: T[] = [];
      const actions: Action[] = [];
      for (const t of all) {
        const name = list.nameOf(t, ctx, names);
        if (name === undefined) continue;
        named.push(t);
        actions.push({ operation, resource: topicResource(name) });
      }
      const answers = authorize(actions);
      const denied = new Set<T>();
      named.forEach((t, i) => {
        if (answers[i] !== true) denied.add(t);
      });
      if (denied.size === 0) return undefined;
      const allowed = all.filter((t) => !denied.has(t));
      const deniedList = [...denied];
      return { kind: 'filtered', request: list.withTopics(req, allowed), complete: (res) => list.addDenied(res, deniedList, ctx) };
    },
  };
}

/** perTopic for a request whose `topics` entries each carry the topic's `name`; `addDenied` answers the denied ones. */
export function perNamedTopic<Req extends { topics: readonly { readonly name: string }[] }, Res>(
  apiKey: number,
  operation: Action['operation'],
  addDenied: (res: Res, denied: readonly Req['topics'][number][], ctx: RequestContext) => Res,
): AccessRule<Req, Res> {
  return perTopic<Req, Res, Req['topics'][number]>(apiKey, operation, {
    topics: (req) => req.topics,
    nameOf: (t) => t.name,
    withTopics: (req, topics) => ({ ...req, topics }),
    addDenied,
  });
}

/** A request topic of the offset APIs (OffsetCommit, TxnOffsetCommit, OffsetDelete): a name and its partitions. */
type OffsetTopic = { readonly name: string; readonly partitions: readonly { readonly partitionIndex: number }[] };
/** Their response topic: each partition answered with an error code. */
type OffsetTopicResult = { name: string; partitions: { partitionIndex: number; errorCode: number }[] };

/**
 * perTopic for the offset APIs, whose request and response both list `topics` by name with
 * their partitions: each partition of a denied topic is answered TOPIC_AUTHORIZATION_FAILED.
 */
export function perOffsetTopic<Req extends { topics: readonly OffsetTopic[] }, Res extends { topics?: OffsetTopicResult[] }>(apiKey: number, operation: Action['operation']): AccessRule<Req, Res> {
  return perNamedTopic<Req, Res>(apiKey, operation, (res, denied) => ({
    ...res,
    topics: [...(res.topics ?? []), ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }))],
  }));
}

/** How a rule reads and rebuilds a request whose entries each name one resource (groups, transactional ids, config resources). */
export interface ResourceList<Req, Res, T> {
  items(req: Req, ctx: RequestContext): readonly T[] | null;
  /** The action an entry needs (undefined: none, the handler answers it). */
  actionOf(t: T, ctx: RequestContext): Action | undefined;
  withItems(req: Req, items: T[], ctx: RequestContext): Req;
  /** The response with the denied entries' errors added. */
  addDenied(res: Res, denied: readonly T[], ctx: RequestContext): Res;
}

/** Each entry checked on its own: denied entries never reach the handler and are answered by `list.addDenied`. */
export function perResource<Req, Res, T>(apiKey: number, list: ResourceList<Req, Res, T>): AccessRule<Req, Res> {
  return {
    apiKey,
    check(ctx, req, authorize) {
      const all = list.items(req, ctx);
      if (all === null || all.length === 0) return undefined;
      const named: T[] = [];
      const actions: Action[] = [];
      for (const t of all) {
        const a = list.actionOf(t, ctx);
        if (a === undefined) continue;
        named.push(t);
        actions.push(a);
      }
      const answers = authorize(actions);
      const denied = named.filter((_t, i) => answers[i] !== true);
      if (denied.length === 0) return undefined;
      const deniedSet = new Set(denied);
      return { kind: 'filtered', request: list.withItems(req, all.filter((t) => !deniedSet.has(t)), ctx), complete: (res) => list.addDenied(res, denied, ctx) };
    },
  };
}

/** `first` (a whole-request rule) and then `rest`: a denial by `first` answers the whole request. */
export function thenRule<Req, Res>(first: AccessRule<Req, Res>, rest: AccessRule<Req, Res>): AccessRule<Req, Res> {
  return {
    apiKey: first.apiKey,
    check(ctx, req, authorize, names) {
      const out = first.check(ctx, req, authorize, names);
      if (out !== undefined) return out;
      return rest.check(ctx, req, authorize, names);
    },
  };
}

/** A response filtered after the handler (nothing is denied up front). */
export function filterAfter<Req, Res>(apiKey: number, filter: (res: Res, authorize: Check, ctx: RequestContext) => Res): AccessRule<Req, Res> {
  return {
    apiKey,
    check(ctx, req, authorize) {
      return { kind: 'filtered', request: req, complete: (res) => filter(res, authorize, ctx) };
    },
  };
}
