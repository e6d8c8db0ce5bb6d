/**
 * Helpers for the transaction tests: a TCP proxy that can drop a response and cut the
 * connection (forcing a client retry), raw reads of a partition at either isolation level, and
 * the consumer-side filtering of aborted transactions (what Kafka consumers do with the
 * abortedTransactions list), to check what a read_committed reader sees.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/messages/list-offsets.js';
import { decodeRecordBatches, encodeRecordBatch, type RecordBatch } from '../../src/protocol/records/record.js';
import { decodeControlRecordType } from '../../src/protocol/records/control-record.js';
import { WireClient } from '../helpers/wire.js';

export interface DropProxy {
  port: number;
  /** Responses dropped so far (each followed by closing both sides). */
  dropped: number;
  /** Drop the response to the next `n` requests of API `apiKey`. */
  dropNext(apiKey: number, n?: number): void;
  close(): Promise<void>;
}

/** Frames of a Kafka stream (4-byte size prefix), fed chunk by chunk. */
class Frames {
  private buf: Buffer = Buffer.alloc(0);
  push(d: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) break;
      out.push(this.buf.subarray(0, 4 + size));
      this.buf = this.buf.subarray(4 + size);
    }
    return out;
  }
}

/** Listens on `port` (0 = any) and forwards to `target()`; see DropProxy. */
export async function startDropProxy(target: () => number, port = 0): Promise<DropProxy> {
  const drops = new Map<number, number>();
  const sockets = new Set<Socket>();
  const state = { dropped: 0 };
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect({ port: target(), host: '127.0.0.1' });
    sockets.add(upstream);
    const apiOf = new Map<number, number>();
    const fromClient = new Frames();
    const fromBroker = new Frames();
    const kill = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      for (const f of fromClient.push(d)) {
        apiOf.set(f.readInt32BE(8), f.readInt16BE(4));
        upstream.write(f);
      }
    });
    upstream.on('data', (d: Buffer) => {
      for (const f of fromBroker.push(d)) {
        const corr = f.readInt32BE(4);
        const api = apiOf.get(corr);
        apiOf.delete(corr);
        const left = api === undefined ? 0 : (drops.get(api) ?? 0);
        if (api !== undefined && left > 0) {
          drops.set(api, left - 1);
          state.dropped++;
          kill();
          return;
        }
        client.write(f);
      }
    });
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', () => {
        sockets.delete(s);
        kill();
      });
    }
  });
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
  return {
    port: addr.port,
    get dropped() {
      return state.dropped;
    },
    dropNext(apiKey: number, n = 1) {
      drops.set(apiKey, (drops.get(apiKey) ?? 0) + n);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((res) => server.close(() => res()));
    },
  };
}

export interface PartitionRead {
  batches: RecordBatch[];
  aborted: { producerId: bigint; firstOffset: bigint }[];
  highWatermark: bigint;
  lastStableOffset: bigint;
}

/** Reads a whole partition (up to HW or LSO) with Fetch v11 at `isolationLevel` (0 uncommitted, 1 committed). */
export async function readPartition(port: number, topic: string, partition: number, isolationLevel: 0 | 1): Promise<PartitionRead> {
  const c = await WireClient.connect(port);
  try {
    const out: PartitionRead = { batches: [], aborted: [], highWatermark: -1n, lastStableOffset: -1n };
    const seen = new Set<string>();
    let offset = 0n;
    for (;;) {
      const res = await c.request<FetchResponse>(1, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const p = res.responses[0]?.partitions[0];
      if (!p) throw new Error('no partition in the fetch response');
      if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${p.errorCode}`);
      out.highWatermark = p.highWatermark;
      out.lastStableOffset = p.lastStableOffset;
      for (const a of p.abortedTransactions ?? []) {
        const k = `${a.producerId}:${a.firstOffset}`;
        if (!seen.has(k)) {
          seen.add(k);
          out.aborted.push({ producerId: a.producerId, firstOffset: a.firstOffset });
        }
      }
      const records = p.records ?? Buffer.alloc(0);
      if (records.length === 0) return out;
      const decoded = decodeRecordBatches(records, { verifyCrc: true });
      out.batches.push(...decoded);
      const last = decoded[decoded.length - 1] as RecordBatch;
      offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
    }
  } finally {
    c.close();
  }
}

export interface VisibleRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  producerId: bigint;
}

/**
 * The records a consumer returns: control batches never, and with `filterAborted` (read_committed)
 * not the batches of aborted transactions (Java's Fetcher logic over the aborted list).
 */
export function visibleRecords(read: PartitionRead, filterAborted: boolean): VisibleRecord[] {
  const pending = [...read.aborted].sort((a, b) => Number(a.firstOffset - b.firstOffset));
  const abortedNow = new Set<bigint>();
  const out: VisibleRecord[] = [];
  for (const b of read.batches) {
    if (filterAborted) {
      while (pending.length > 0 && (pending[0] as { firstOffset: bigint }).firstOffset <= b.baseOffset + BigInt(b.lastOffsetDelta)) {
        abortedNow.add((pending.shift() as { producerId: bigint }).producerId);
      }
    }
    if (b.isControl) {
      if (decodeControlRecordType(b) === 'ABORT') abortedNow.delete(b.producerId);
      continue;
    }
    if (filterAborted && b.isTransactional && abortedNow.has(b.producerId)) continue;
    for (const r of b.records) {
      out.push({ offset: r.offset, key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null, producerId: b.producerId });
    }
  }
  return out;
}

/** ListOffsets v7 latest offset at an isolation level. */
export async function latestOffset(port: number, topic: string, partition: number, isolationLevel: 0 | 1): Promise<bigint> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request<ListOffsetsResponse>(2, 7, {
      replicaId: -1,
      isolationLevel,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    const p = res.topics[0]?.partitions[0];
    if (!p || p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${partition}: ${p?.errorCode}`);
    return p.offset;
  } finally {
    c.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

/** Polls `fn` until it returns true or `ms` passes. */
export async function waitFor(fn: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ------------------------------------------------------------------ raw transaction API calls


export class TxnWire {
  private constructor(readonly c: WireClient) {}

  static async connect(port: number): Promise<TxnWire> {
    return new TxnWire(await WireClient.connect(port));
  }

  close(): void {
    this.c.close();
  }

  async createTopic(name: string, numPartitions = 1): Promise<void> {
    const res = await this.c.request<{ topics: { errorCode: number }[] }>(19, 5, {
      topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    const code = res.topics[0]?.errorCode;
    if (code !== 0 && code !== 36) throw new Error(`CreateTopics ${name}: ${code}`);
  }

  async initProducerId(transactionalId: string | null, timeoutMs = 60_000, version = 4, expected: { producerId: bigint; producerEpoch: number } | null = null): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
    return this.c.request(22, version, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: expected?.producerId ?? -1n, producerEpoch: expected?.producerEpoch ?? -1 });
  }

  /** AddPartitionsToTxn v3; returns the error code per "topic/partition". */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partitions: number[], version = 3): Promise<Record<string, number>> {
    const res = await this.c.request<{ resultsByTopicV3AndBelow: { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] }[] }>(24, version, {
      v3AndBelowTransactionalId: transactionalId,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions }],
    });
    const out: Record<string, number> = {};
    for (const t of res.resultsByTopicV3AndBelow) for (const p of t.resultsByPartition) out[`${t.name}/${p.partitionIndex}`] = p.partitionErrorCode;
    return out;
  }

  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean, version = 3): Promise<number> {
    const res = await this.c.request<{ errorCode: number }>(26, version, { transactionalId, producerId, producerEpoch, committed });
    return res.errorCode;
  }

  /** Produce v9 of one batch; returns [errorCode, baseOffset]. */
  async produce(
    topic: string,
    partition: number,
    batch: { producerId: bigint; producerEpoch: number; baseSequence: number; transactional?: boolean; values: string[] },
    transactionalId: string | null = null,
  ): Promise<[number, bigint]> {
    const records = encodeRecordBatch({
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      isTransactional: batch.transactional ?? false,
      records: batch.values.map((v) => ({ value: v })),
    });
    const res = await this.c.request<{ responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] }>(0, 9, {
      transactionalId,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    });
    const p = res.responses[0]?.partitionResponses[0];
    if (!p) throw new Error('no produce response');
    return [p.errorCode, p.baseOffset];
  }

  async describeTxn(transactionalId: string): Promise<{ errorCode: number; transactionState: string; producerId: bigint; producerEpoch: number; topics: { topic: string; partitions: number[] }[] }> {
    const res = await this.c.request<{ transactionStates: { errorCode: number; transactionState: string; producerId: bigint; producerEpoch: number; topics: { topic: string; partitions: number[] }[] }[] }>(65, 0, {
      transactionalIds: [transactionalId],
    });
    return res.transactionStates[0] as never;
  }
}
