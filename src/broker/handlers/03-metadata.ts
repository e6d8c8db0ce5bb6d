/**
 * Metadata (key 3), v0-12.
 * Version notes: v0 with an empty topic list and v1+ with a null list mean "all topics". Topics
 * named in the request are auto-created when auto.create.topics.enable is true and the request
 * allows it (always before v4). v10+ may name topics by id. v8+ authorized operations, when
 * asked (cluster: v8-10 only): no authorizer, so every operation the resource type supports.
 * Like Kafka, the requested topics are a set: a name (or id) named twice is answered once, so a
 * request naming one million empty names costs one INVALID_TOPIC_EXCEPTION entry. Names are
 * checked without building errors, and a long list is processed in time slices that yield to
 * the event loop (see common/yield.ts). Deviation: one request auto-creates at most
 * MAX_AUTO_CREATE_PER_REQUEST topics (KRaft likewise bounds the records one controller operation
 * may write); further unknown names get UNKNOWN_TOPIC_OR_PARTITION and are created on a retry.
 * Auto-creation commits asynchronously: the answer waits for the created topics (as before, a
 * client sees the new topic in the response that created it).
 * In a cluster (Kafka's MetadataCache): `brokers` are the live (registered) brokers with their
 * endpoint for the listener the request came in on, `controller_id` is the elected controller
 * (-1 while there is none), and partitions carry offline replicas and LEADER_NOT_AVAILABLE when
 * their leader is not alive (partition-entry.ts); a topic's own error stays NONE.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataRequest,
  type MetadataResponseInit,
} from '../../protocol/generated/messages/metadata.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { endpointFor, type BrokerImage, type MetadataImage, type TopicImage } from '../../metadata/image.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { forEachSliced, whenDone } from '../../common/yield.js';
import { isLegalTopicName } from '../topic-manager.js';
import { autoCreateTopic, type TopicCreationDeps } from './topic-creation.js';
import { partitionEntry } from './partition-entry.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from '../authorized-operations.js';
import type { BrokerConfig } from '../../config/broker-config.js';

type TopicOut = NonNullable<MetadataResponseInit['topics']>[number];
type RequestTopic = NonNullable<MetadataRequest['topics']>[number];

/** Topics one Metadata request may auto-create (see the header). */
export const MAX_AUTO_CREATE_PER_REQUEST = 1000;
const NO_PARTITIONS: TopicOut['partitions'] = [];

/** A registered broker as a client on `listenerName` must reach it. */
function brokerEntry(b: BrokerImage, listenerName: string): NonNullable<MetadataResponseInit['brokers']>[number] {
  const e = endpointFor(b, listenerName);
  return { nodeId: b.nodeId, host: e?.host ?? 'localhost', port: e?.port ?? 9092, rack: b.rack };
}

/** `t` with its partitions as the brokers alive in `image` serve them (partition-entry.ts). */
function topicEntry(t: TopicImage, image: MetadataImage): TopicOut {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => partitionEntry(p, image, t.topicId)),
  };
}

/** What answering the named topics of one request needs between slices. */
interface NamedTopics {
  readonly deps: MetadataDeps;
  readonly list: readonly RequestTopic[];
  readonly autoCreate: boolean;
  readonly seen: Set<string>;
  readonly out: TopicOut[];
  created: number;
  /** Auto-creations under way; each fills its entry of `out` when it settles. */
  readonly creating: Promise<void>[];
}

/** Answers list[i] unless its name or id was answered already (request order is kept). */
function answerNamed(s: NamedTopics, i: number): void {
  const { deps, list, seen, out } = s;
  const metadata = deps.metadata.image();
  const rt = list[i] as RequestTopic;
  const name = rt.name;
  if (name === null || name === undefined) {
    // Ids and names cannot collide in `seen`: ids are 22 base64url characters prefixed with '#'.
    const key = `#${rt.topicId}`;
    if (seen.has(key)) return;
    seen.add(key);
    const byId = rt.topicId !== ZERO_UUID ? metadata.topicById(rt.topicId) : undefined;
    out.push(byId ? topicEntry(byId, metadata) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, partitions: NO_PARTITIONS });
    return;
  }
  if (seen.has(name)) return;
  seen.add(name);
  const t = metadata.topic(name);
  if (t) {
    out.push(topicEntry(t, metadata));
  } else if (!isLegalTopicName(name)) {
    out.push({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, isInternal: false, partitions: NO_PARTITIONS });
  } else if (!s.autoCreate || s.created >= MAX_AUTO_CREATE_PER_REQUEST) {
    out.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: NO_PARTITIONS });
  } else {
    s.created++;
    const at = out.push({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, name, isInternal: false, partitions: NO_PARTITIONS }) - 1;
    s.creating.push(
      autoCreateTopic(deps, name).then(
        (created) => void (out[at] = topicEntry(created, deps.metadata.image())),
        (e: unknown) => void (out[at] = { errorCode: e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR, name, isInternal: false, partitions: NO_PARTITIONS }),
      ),
    );
  }
}

/** What Metadata uses: the metadata image, auto-creation and the current controller. */
export interface MetadataDeps extends TopicCreationDeps {
  readonly config: Pick<BrokerConfig, 'bool'>;
  /** The controller's node id (-1 while none is elected; a single node is its own controller). */
  controllerId(): number;
}

export function metadataHandler(deps: MetadataDeps): ApiHandler<MetadataRequest, MetadataResponseInit> {
  return defineHandler<MetadataRequest, MetadataResponseInit>({
    apiKey: 3,
    name: 'Metadata',
    minVersion: 0,
    maxVersion: 12,
    decode: decodeMetadataRequest,
    encode: encodeMetadataResponse,
    handle(ctx, req) {
      const { apiVersion } = ctx;
      const topics: TopicOut[] = [];
      const topicOps = apiVersion >= 8 && req.includeTopicAuthorizedOperations;
      const response = (): MetadataResponseInit => {
        if (topicOps) for (const t of topics) t.topicAuthorizedOperations = TOPIC_OPERATIONS;
        const image = deps.metadata.image();
        return {
          throttleTimeMs: 0,
          brokers: image.brokers().map((b) => brokerEntry(b, ctx.session.listenerName)),
          clusterId: image.clusterId,
          controllerId: deps.controllerId(),
          topics,
          clusterAuthorizedOperations: apiVersion >= 8 && req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_NOT_REQUESTED,
        };
      };
      if (req.topics === null || (apiVersion === 0 && req.topics.length === 0)) {
        const image = deps.metadata.image();
        const all = [...image.topics()];
        return whenDone(forEachSliced(all.length, (i) => topics.push(topicEntry(all[i] as TopicImage, image))), response);
      }
      const autoCreate = deps.config.bool('auto.create.topics.enable') && (apiVersion < 4 || req.allowAutoTopicCreation);
      const s: NamedTopics = { deps, list: req.topics, autoCreate, seen: new Set(), out: topics, created: 0, creating: [] };
      // In time slices: a long list yields to other connections between slices (common/yield.ts).
      return whenDone(forEachSliced(req.topics.length, (i) => answerNamed(s, i)), () => (s.creating.length > 0 ? Promise.all(s.creating).then(response) : response()));
    },
    errorResponse(req, errorCode) {
      return {
        brokers: [],
        topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, partitions: [] })),
      };
    },
  });
}
