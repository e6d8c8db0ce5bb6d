/**
 * A small Kafka wire client for black-box broker tests: one TCP connection, requests encoded with
 * the generated codecs, raw frame access for malformed input, and helpers for the APIs the broker
 * tests need (Metadata, CreateTopics, Produce, Fetch, ListOffsets).
 */
import { connect, type Socket } from 'node:net';
import { apiCodecs } from '../../src/protocol/generated/registry.js';
import { responseHeaderVersion, writeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { decodeRecordBatches, type RecordBatch } from '../../src/protocol/records/record.js';

export const API = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19 } as const;

export class WireClient {
  private buf: Buffer = Buffer.alloc(0);
  private nextCorrelation = 1;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  /** Frames that arrived with no waiter (e.g. answers to raw requests). */
  readonly unsolicited: Buffer[] = [];
  private closeError: Error | null = null;
  private readonly closedPromise: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    let onClosed!: () => void;
    this.closedPromise = new Promise<void>((res) => (onClosed = res));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => {
      this.fail(new Error('connection closed by broker'));
      onClosed();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => {
        s.off('error', reject);
        resolve(new WireClient(s));
      });
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closeError !== null;
  }

  private fail(e: Error): void {
    if (!this.closeError) this.closeError = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** Writes raw bytes (a complete frame with its size prefix, or anything at all). */
  writeRaw(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Stops reading from the socket for `ms` (responses pile up in the broker's send buffers). */
  async pauseReading(ms: number): Promise<void> {
    this.socket.pause();
    await new Promise((r) => setTimeout(r, ms));
    this.socket.resume();
  }

  /** Resolves true when the broker closes the connection, false after `ms` without a close. */
  async waitClosed(ms: number): Promise<boolean> {
    if (this.socket.destroyed || this.closeError) return true;
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((res) => (t = setTimeout(() => res(false), ms)))]);
    clearTimeout(t);
    return r;
  }

  /** Waits for the next frame that has no registered waiter, or null on close/timeout. */
  async nextUnsolicited(ms: number): Promise<Buffer | null> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const f = this.unsolicited.shift();
      if (f) return f;
      if (this.closed) return null;
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.unsolicited.shift() ?? null;
  }

  /** Encodes a request frame (size prefix included) without sending it. */
  static encodeRequest(apiKey: number, version: number, body: unknown, correlationId: number, clientId: string | null = 'samsa-test'): Buffer {
    const codec = apiCodecs.get(apiKey);
    if (!codec) throw new Error(`no codec for API ${apiKey}`);
    const w = new Writer();
    w.writeInt32(0);
    writeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId });
    codec.encodeRequest(w, body, version);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return frame;
  }

  newCorrelationId(): number {
    return this.nextCorrelation++;
  }

  /** Sends a request and returns the decoded response body. */
  async request<T = any>(apiKey: number, version: number, body: unknown, timeoutMs = 15_000): Promise<T> {
    const correlationId = this.newCorrelationId();
    const frame = WireClient.encodeRequest(apiKey, version, body, correlationId);
    const payload = await this.sendFrame(correlationId, frame, timeoutMs);
    const codec = apiCodecs.get(apiKey)!;
    const r = new Reader(payload);
    r.readInt32();
    if (responseHeaderVersion(apiKey, version) === 1) r.readTaggedFields();
    return codec.decodeResponse(r, version) as T;
  }

  /** Sends a frame for which a response with `correlationId` is expected; resolves with the raw payload. */
  sendFrame(correlationId: number, frame: Buffer, timeoutMs = 15_000): Promise<Buffer> {
    if (this.closeError) return Promise.reject(this.closeError);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new Error(`no response to correlation id ${correlationId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(correlationId, {
        resolve: (b) => {
          clearTimeout(t);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.socket.write(frame);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (size < 4) {
        this.fail(new Error(`broker sent an invalid frame size ${size}`));
        this.socket.destroy();
        return;
      }
      if (this.buf.length < 4 + size) break;
      const payload = Buffer.from(this.buf.subarray(4, 4 + size));
      this.buf = this.buf.subarray(4 + size);
      const corr = payload.readInt32BE(0);
      const w = this.waiting.get(corr);
      if (w) {
        this.waiting.delete(corr);
        w.resolve(payload);
      } else {
        this.unsolicited.push(payload);
      }
    }
  }

  close(): void {
    this.socket.destroy();
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

  /** One Fetch (v12, by name) of a partition from `offset`; returns the partition data. */
  async fetchOnce(topic: string, partition: number, offset: bigint, maxBytes = 4 * 1024 * 1024, maxWaitMs = 0): Promise<{ errorCode: number; highWatermark: bigint; logStartOffset: bigint; records: Buffer | null }> {
    const res = await this.request(API.Fetch, 12, {
      replicaId: -1,
      maxWaitMs,
      minBytes: 0,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
      forgottenTopicsData: [],
      rackId: '',
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
