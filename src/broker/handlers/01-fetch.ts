/**
 * Fetch (key 1), v0-17.
 * Version notes: v0-v3 carry messages of the old formats (v0-v1 magic 0, v2-v3 magic 1): the
 * stored batches are down-converted (fetch-down-convert.ts; message.downconversion.enable=false
 * answers UNSUPPORTED_VERSION, as Kafka 3.x; Kafka 4.0 dropped these versions); v3+ response
 * max_bytes; v4+ isolation level; v7+ fetch sessions (KIP-227); v9+ current leader epoch checks;
 * v11+ rack id and preferred read replica (KIP-392: with `replica.selector.class` set, the leader
 * may answer a consumer's fetch with the replica to read from instead of records; a follower serves
 * consumer fetches of v11+ up to its high watermark, or its last stable offset for read_committed;
 * before v11 only the leader serves consumers; Samsa's deviations in follower-reads.ts: only with a
 * selector configured, and never OFFSET_OUT_OF_RANGE from a follower); v12+ flexible, diverging epoch;
 * v13+ topic ids instead of names; v15+ replica state; v16+ node endpoints; v17 replica directory id.
 * Long poll (Kafka's DelayedFetch, here): waits up to max.wait.ms until min.bytes are available,
 * woken by appends to any fetched partition (a follower only by records past its fetch offset).
 * Serves stored batch bytes as they are on disk (v4+). read_committed (isolation level 1) reads
 * stop at the last stable offset and carry the aborted transactions overlapping the returned batches.
 * The parts: the partitions to read and the fetch session (fetch-targets.ts), a follower's fetch at
 * the leader (fetch-replica.ts), the reads (fetch-read.ts), the answer and the fetch metrics
 * (fetch-response.ts), the services given (fetch-deps.ts).
 */
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponseInit,
} from '../../protocol/generated/messages/fetch.js';
import type { FetchSession } from '../fetch-session.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { FetchDeps } from './fetch-deps.js';
import { nothingToRead, readAll } from './fetch-read.js';
import { acceptReplicaFetch, followerHasNews } from './fetch-replica.js';
import { buildResponse, countFetch } from './fetch-response.js';
import { resolveTargets, type Target } from './fetch-targets.js';

export type { FetchDeps, LeaderThrottle } from './fetch-deps.js';

export function fetchHandler(deps: FetchDeps): ApiHandler<FetchRequest, FetchResponseInit> {
  return defineHandler<FetchRequest, FetchResponseInit>({
    apiKey: 1,
    // The records in the answer are reads made for it: their buffers are reused once it is sent.
    responseReleasesLogReads: true,
    name: 'Fetch',
    minVersion: 0,
    maxVersion: 17,
    decode: decodeFetchRequest,
    encode: encodeFetchResponse,
    handle(ctx, req) {
      let session: FetchSession | null = null;
      let full = true;
      if (ctx.apiVersion >= 7) {
        try {
          ({ session, full } = deps.fetchSessions.begin(req.sessionId, req.sessionEpoch));
        } catch (e) {
          if (e instanceof KafkaError) return { throttleTimeMs: 0, errorCode: e.code, sessionId: 0, responses: [] };
          throw e;
        }
      }
      const targets = resolveTargets(deps, ctx, req, session, full);
      // A follower's fetch (replica_id in the body before v15, in ReplicaState from v15).
      const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
      const replica = replicaId >= 0;
      if (replica) {
        deps.replicationStats?.followerFetchServed(ctx.apiVersion);
        acceptReplicaFetch(targets, replicaId);
      }
      // Bounded by fetch.max.bytes whatever the client asks, and (Samsa) by the room left under the
      // broker-wide bound on unsent responses: a full broker still answers with the first batch.
      const maxResponseBytes = Math.min(ctx.apiVersion >= 3 ? req.maxBytes : 0x7fffffff, deps.config.int('fetch.max.bytes'), deps.requestBudget.responseRoom);
      const stats = deps.topicStats;
      if (req.maxWaitMs <= 0 || req.minBytes <= 0 || !nothingToRead(deps, ctx, targets, req, replica)) {
        const first = readAll(deps, ctx, targets, req, maxResponseBytes, replicaId);
        if (req.maxWaitMs <= 0 || first.bytes >= req.minBytes || first.immediate || targets.length === 0) {
          if (stats !== undefined) countFetch(stats, first.results, replica);
          return buildResponse(deps, ctx, first.results, session, full);
        }
      }
      // Long poll: wait for appends to any fetched partition, or the deadline.
      return new Promise((resolve) => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          timer.cancel();
          for (let i = 0; i < targets.length; i++) (targets[i] as Target).partition?.removeAppendListener(onAppend);
          const last = readAll(deps, ctx, targets, req, maxResponseBytes, replicaId).results;
          if (stats !== undefined) countFetch(stats, last, replica);
          resolve(buildResponse(deps, ctx, last, session, full));
        };
        const onAppend = (): void => {
          if (done) return;
          deps.replicationStats?.longPollWakeup();
          // A follower waits for records past its fetch offset, not for high watermark moves
          // (those reach it with its next fetch): otherwise every ISR member's fetch would wake
          // the others' and the fetches would ping-pong without data.
          if (replica && !followerHasNews(targets)) return;
          if (req.minBytes <= 1) {
            finish();
            return;
          }
          const again = readAll(deps, ctx, targets, req, maxResponseBytes, replicaId);
          if (again.bytes >= req.minBytes || again.immediate) finish();
        };
        for (let i = 0; i < targets.length; i++) (targets[i] as Target).partition?.addAppendListener(onAppend);
        const timer = deps.scheduler.schedule(req.maxWaitMs, finish);
      });
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
    },
  });
}
