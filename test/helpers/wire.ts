/**
 * The black-box test client: a thin wrapper over src/client/protocol-client.ts (the project's one
 * protocol client) that keeps the API the broker tests were written against: raw frame access for
 * malformed input, a queue of unsolicited frames, and helpers for the APIs the broker tests need
 * (Metadata, CreateTopics, Produce, Fetch, ListOffsets).
 */
import { ProtocolClient, encodeRequestFrame } from '../../src/client/protocol-client.js';
import { decodeRecordBatches, encodeRecordBatch, type RecordBatch } from '../../src/protocol/records/record.js';

export const API = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19 } as const;

const CLIENT_ID = 'samsa-test';

export class WireClient {
  /** Frames that arrived with no waiter (e.g. answers to raw requests). */
  readonly unsolicited: Buffer[] = [];
  private unsolicitedWaiter: (() => void) | null = null;

  private constructor(private readonly client: ProtocolClient) {
    client.onUnsolicited = (frame) => {
      this.unsolicited.push(frame);
      this.unsolicitedWaiter?.();
    };
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new WireClient(await ProtocolClient.connect({ port, host, clientId: CLIENT_ID, requestTimeoutMs: 15_000 }));
  }

  get closed(): boolean {
    return this.client.closed;
  }

  /** Writes raw bytes (a complete frame with its size prefix, or anything at all). */
  writeRaw(bytes: Buffer): void {
    this.client.writeRaw(bytes);
  }

  /** Stops reading from the socket for `ms` (responses pile up in the broker's send buffers). */
  async pauseReading(ms: number): Promise<void> {
    this.client.pause();
    await new Promise((r) => setTimeout(r, ms));
    this.client.resume();
  }

  /** Resolves true when the broker closes the connection, false after `ms` without a close. */
  async waitClosed(ms: number): Promise<boolean> {
    if (this.client.closed) return true;
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.client.whenClosed().then(() => true), new Promise<boolean>((res) => (t = setTimeout(() => res(false), ms)))]);
    clearTimeout(t);
    return r;
  }

  /** Waits for the next frame that has no registered waiter, or null on close/timeout. */
  async nextUnsolicited(ms: number): Promise<Buffer | null> {
    const first = this.unsolicited.shift();
    if (first || this.closed) return first ?? null;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((res) => (this.unsolicitedWaiter = res)),
      this.client.whenClosed(),
      new Promise<void>((res) => (t = setTimeout(res, ms))),
    ]);
    clearTimeout(t);
    this.unsolicitedWaiter = null;
    return this.unsolicited.shift() ?? null;
  }

  /** Encodes a request frame (size prefix included) without sending it. */
  static encodeRequest(apiKey: number, version: number, body: unknown, correlationId: number, clientId: string | null = CLIENT_ID): Buffer {
    const chunks = encodeRequestFrame(apiKey, version, body, correlationId, clientId);
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  }

  newCorrelationId(): number {
    return this.client.newCorrelationId();
  }

  /** Sends a request and returns the decoded response body. */
  async request<T = any>(apiKey: number, version: number, body: unknown, timeoutMs = 15_000): Promise<T> {
    return this.client.request<T>(apiKey, version, body, timeoutMs);
  }

  /** Sends a frame for which a response with `correlationId` is expected; resolves with the raw payload. */
  sendFrame(correlationId: number, frame: Buffer, timeoutMs = 15_000): Promise<Buffer> {
    return this.client.sendFrame(correlationId, frame, timeoutMs);
  }

  close(): void {
    this.client.close();
  }

  // ---- convenience wrappers --------------------------------------------------------------

  async apiVersions(version = 3): Promise<any> {
    return this.request(API.ApiVersions, version, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
  }

  async metadata(topics: string[] | null, version = 12): Promise<any> {
    return this.request(API.Metadata, version, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
    });
  }

  async createTopic(name: string, numPartitions: number, configs: Record<string, string | number> = {}): Promise<number> {
    const res = await this.request(API.CreateTopics, 7, {
      topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: String(v) })) }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    return res.topics[0].errorCode as number;
  }

  /** Produces `records` (one or more encoded batches) to a partition; returns the partition response. */
  async produce(topic: string, partition: number, records: Buffer, acks = -1, version = 9): Promise<{ errorCode: number; baseOffset: bigint; errorMessage: string | null; logStartOffset: bigint }> {
    const res = await this.request(API.Produce, version, {
      transactionalId: null,
      acks,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    });
    return res.responses[0].partitionResponses[0];
  }

  /**
   * Produces `n` batches of one record each, values `${prefix}-0` .. `${prefix}-(n-1)` (timestamp
   * 1000), to partition 0 of `topic` with acks=all; throws on the first one refused.
   */
  async produceNumbered(topic: string, prefix: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const r = await this.produce(topic, 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: `${prefix}-${i}`, timestamp: 1_000n }] }), -1);
      if (r.errorCode !== 0) throw new Error(`produce ${prefix}-${i} to ${topic}-0: error ${r.errorCode} ${r.errorMessage ?? ''}`);
    }
  }

  /**
   * One consumer Fetch (v12 by default, by name) of a partition from `offset`, without a leader
   * epoch; `rackId` for v11+ (fetch from follower). Returns the partition data.
   */
  async fetchOnce(
    topic: string,
    partition: number,
    offset: bigint,
    maxBytes = 4 * 1024 * 1024,
    maxWaitMs = 0,
    opts: { version?: number; rackId?: string } = {},
  ): Promise<{ errorCode: number; highWatermark: bigint; logStartOffset: bigint; preferredReadReplica: number; records: Buffer | null }> {
    const res = await this.request(API.Fetch, opts.version ?? 12, {
      replicaId: -1,
      maxWaitMs,
      minBytes: 0,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
      forgottenTopicsData: [],
      rackId: opts.rackId ?? '',
    });
    if (res.errorCode !== 0) throw new Error(`fetch error ${res.errorCode}`);
    return res.responses[0].partitions[0];
  }

  /**
   * Reads a partition from `from` to its high watermark, decoding every batch with CRC checks
   * (a corrupt batch throws). Returns the batches in order.
   */
  async fetchAll(topic: string, partition: number, from = 0n): Promise<{ batches: RecordBatch[]; highWatermark: bigint; logStartOffset: bigint }> {
    const batches: RecordBatch[] = [];
    let offset = from;
    for (let rounds = 0; ; rounds++) {
      if (rounds > 100_000) throw new Error('fetchAll did not converge');
      const p = await this.fetchOnce(topic, partition, offset);
      if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${offset}: error ${p.errorCode}`);
      const decoded = p.records && p.records.length > 0 ? decodeRecordBatches(p.records, { verifyCrc: true }) : [];
      for (const b of decoded) {
        const last = b.baseOffset + BigInt(b.lastOffsetDelta);
        if (last < offset) continue; // batch entirely before the requested offset
        batches.push(b);
        offset = last + 1n;
      }
      if (offset >= p.highWatermark) return { batches, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset };
      if (decoded.length === 0) throw new Error(`fetch ${topic}-${partition}@${offset} returned no complete batch below the high watermark ${p.highWatermark}`);
    }
  }

  /** ListOffsets (v7) for one partition; timestamp -2 = earliest, -1 = latest. */
  async listOffset(topic: string, partition: number, timestamp: bigint): Promise<{ errorCode: number; offset: bigint }> {
    const res = await this.request(API.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
    });
    const p = res.topics[0].partitions[0];
    return { errorCode: p.errorCode, offset: p.offset };
  }
}

/** Opens a connection, runs `fn`, and closes it. */
export async function withClient<T>(port: number, fn: (c: WireClient) => Promise<T>): Promise<T> {
  const c = await WireClient.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Polls `cond` every `intervalMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(cond: () => Promise<T> | T, timeoutMs: number, what: string, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
