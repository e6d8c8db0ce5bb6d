/**
 * The second step of the gate: may this principal do this operation on this resource? Kafka's
 * rule (org.apache.kafka.server.authorizer.Authorizer): a request is checked as a list of
 * actions (operation + resource) at the granularity of its API (Produce: WRITE on each topic;
 * Fetch: READ on each topic; CreateTopics: CREATE on the cluster or on each topic; a group API:
 * READ on the group; ...); the result is ALLOWED or DENIED per action. Which actions each API
 * asks and which error a denial gets is in access-rules.ts.
 * Samsa: with no authorizer.class.name the broker's authorizer is `allowAllAuthorizer` (Kafka with
 * no authorizer configured); with Kafka's StandardAuthorizer / AclAuthorizer class name it is the
 * ACL authorizer of src/auth/standard-authorizer.ts.
 */
import type { AclOperation } from '../authorized-operations.js';
import type { Session } from './session.js';

/** Kafka's ResourceType codes (org.apache.kafka.common.resource.ResourceType). */
export const ResourceType = {
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

/** The name of the cluster resource (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster';

export interface Resource {
  readonly type: ResourceType;
  readonly name: string;
}

export interface Action {
  readonly operation: AclOperation;
  readonly resource: Resource;
}

export interface Authorizer {
  /**
   * True when every action is allowed whatever it is (no authorizer configured). The router then
   * skips building the actions of a request, which keeps the hot path as it was.
   */
  readonly allowsEverything: boolean;
  /** One answer per action, in order: true = ALLOWED. */
  authorize(session: Session, actions: readonly Action[]): readonly boolean[];
  /**
   * Kafka's Authorizer.authorizeByResourceType: whether `operation` is allowed on at least one
   * resource of the type (absent: allowed when any literal `*` resource would be).
   */
  authorizeByResourceType?(session: Session, operation: number, resourceType: number): boolean;
}

export const allowAllAuthorizer: Authorizer = {
  allowsEverything: true,
  authorize(_session, actions) {
    return actions.map(() => true);
  },
};

export function topicResource(name: string): Resource {
  return { type: ResourceType.TOPIC, name };
}

export const CLUSTER_RESOURCE: Resource = Object.freeze({ type: ResourceType.CLUSTER, name: CLUSTER_NAME });
