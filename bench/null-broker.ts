/**
 * The null broker: the benchmark's upper bound. It speaks just enough of the Kafka protocol for a
 * producer and a consumer — ApiVersions, Metadata, CreateTopics, Produce, ListOffsets, Fetch —
 * using the project's generated codecs, but stores nothing: Produce only counts records per
 * partition and acknowledges, and Fetch answers with synthetic record batches (built once, offsets
 * patched per response) up to the counted high watermark. Driving it with the same client as Samsa
 * measures what the client and loopback alone can do; Samsa ÷ null broker says how close Samsa
 * gets to that limit.
 *
 * Two optional same-run floors (issue 22): an SSL listener beside the PLAINTEXT one, with Samsa's
 * own TLS settings and TLS input path (null-tls.ts), for the TLS ÷ PLAINTEXT ratios; and a "store"
 * mode (null-store.ts) in which Produce checks every batch's CRC and appends the bytes to one
 * file per partition before answering, for produce throughput and CPU per GB; and a "serve" mode
 * (null-serve.ts) that keeps the produced batches in memory, assigns their offsets and serves them
 * to Fetch with long polls woken by Produce, for end-to-end latency.
 *
 * Run standalone: node dist/bench/null-broker.js [port] [--ssl-port N --ssl-keystore PEM] [--store DIR] [--serve [--serve-cap-mb N]]
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { ErrorCode } from '../src/common/error-codes.js';
import { adoptFrameSocket, FrameReader } from '../src/network/frame-reader.js';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import { apiCodecs } from '../src/protocol/generated/registry.js';
import { readRequestHeader } from '../src/protocol/header.js';
import { Reader } from '../src/protocol/primitives/reader.js';
import { randomUuid } from '../src/protocol/primitives/uuid.js';
import { Writer } from '../src/protocol/primitives/writer.js';
import { BASE_OFFSET_OFFSET, RECORDS_COUNT_OFFSET, RECORD_BATCH_OVERHEAD } from '../src/protocol/records/batch-header.js';
import type { ApiVersionsRequest } from '../src/protocol/generated/messages/api-versions.js';
import type { MetadataRequest } from '../src/protocol/generated/messages/metadata.js';
import type { ProduceRequest, ProduceResponseTopicProduceResponseInit } from '../src/protocol/generated/messages/produce.js';
import type { CreateTopicsRequest } from '../src/protocol/generated/messages/create-topics.js';
import type { ListOffsetsRequest } from '../src/protocol/generated/messages/list-offsets.js';
import { PartitionFiles } from './null-store.js';
import { serveFetch, ServeStore } from './null-serve.js';
import { BatchTemplates, firstValueSize } from './synthetic-batches.js';
import { readTlsFrames, samsaSecureContext, suiteOf, tlsHandshake } from './null-tls.js';
import type { FetchRequest, FetchResponseFetchableTopicResponseInit, FetchResponsePartitionDataInit } from '../src/protocol/generated/messages/fetch.js';

const SUPPORTED = [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.ApiVersions, ApiKey.CreateTopics] as const;
/** Records per synthetic fetch batch at most (librdkafka's default batch.num.messages is 10000). */
const FETCH_BATCH_RECORDS = 1000;

interface TopicState {
  id: string;
  /** Records acknowledged per partition: the synthetic high watermark. */
  counts: number[];
  /** Value size of the last records produced (what Fetch replays). */
  valueSize: number;
}

export interface NullBrokerStats {
  produceRequests: number;
  records: number;
  bytes: number;
  fetchRequests: number;
  /** TLS connections by negotiated protocol and suite ("TLSv1.3 TLS_AES_256_GCM_SHA384"). */
  tlsSuites: Record<string, number>;
  /** How TLS connections read their decrypted bytes (Samsa's user-buffer path, or 'data' copies). */
  tlsRead: Record<string, number>;
}

export interface NullBrokerOptions {
  port?: number;
  host?: string;
  /** Partitions of auto-created topics. */
  defaultPartitions?: number;
  /** An SSL listener too: Samsa's TLS settings for this PEM key store (key + certificate chain). */
  ssl?: { port?: number; keystorePem: string };
  /** Store mode: Produce checks each batch's CRC and appends the bytes to one file per partition in this directory. */
  storeDir?: string;
  /** Serve mode: produced batches kept in memory (up to capBytes, 64 MiB by default) and served to Fetch. */
  serve?: { capBytes?: number };
  /** Told each newly seen TLS suite (the standalone broker prints it). */
  log?: (msg: string) => void;
}

export class NullBroker {
  readonly stats: NullBrokerStats = { produceRequests: 0, records: 0, bytes: 0, fetchRequests: 0, tlsSuites: {}, tlsRead: {} };
  /** The partition files of store mode (null: stores nothing). */
  readonly files: PartitionFiles | null;
  /** The in-memory batches of serve mode (null: Fetch answers synthetic batches). */
  readonly served: ServeStore | null;
  private readonly topics = new Map<string, TopicState>();
  private readonly byId = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  /** Connections of the SSL listener (Metadata names the listener a request came in on). */
  private readonly secure = new WeakSet<Socket>();
  private readonly templates = new BatchTemplates();
  private server: Server | undefined;
  private sslServer: Server | undefined;
  port = 0;
  /** The SSL listener's port (0: none). */
  sslPort = 0;
  readonly host: string;

  constructor(private readonly opts: NullBrokerOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.files = opts.storeDir === undefined ? null : new PartitionFiles(opts.storeDir);
    this.served = opts.serve === undefined ? null : new ServeStore(opts.serve.capBytes);
  }

  async start(): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, (s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.host, () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    if (this.opts.ssl !== undefined) {
      const ctx = samsaSecureContext(this.opts.ssl.keystorePem);
      // As Samsa's listener: accepted paused, no Nagle, the TLSSocket made over the accepted socket.
      const ssl = createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.acceptTls(s, ctx));
      this.sslServer = ssl;
      await new Promise<void>((resolve, reject) => {
        ssl.once('error', reject);
        ssl.listen(this.opts.ssl?.port ?? 0, this.host, () => resolve());
      });
      const a = ssl.address();
      this.sslPort = typeof a === 'object' && a ? a.port : 0;
    }
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const close = (srv: Server | undefined): Promise<void> => new Promise<void>((resolve) => (srv ? srv.close(() => resolve()) : resolve()));
    await Promise.all([close(this.server), close(this.sslServer)]);
    this.files?.close();
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** Creates a topic (as CreateTopics would). */
  createTopic(name: string, partitions: number): TopicState {
    let t = this.topics.get(name);
    if (!t) {
      t = { id: randomUuid(), counts: new Array<number>(partitions).fill(0), valueSize: 100 };
      this.topics.set(name, t);
      this.byId.set(t.id, name);
    }
    return t;
  }

  private accept(accepted: Socket): void {
    // The same input path as Samsa's connections: frames read straight into pooled buffers.
    const reader = this.frameReader(() => socket);
    const socket: Socket = adoptFrameSocket(accepted, reader);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Frames answered on `socket()` (corked), their buffers given back once answered (nothing here keeps a view of a request). */
  private frameReader(socket: () => Socket): FrameReader {
    const reader: FrameReader = new FrameReader(100 * 1024 * 1024, {
      onFrame: (frame) => {
        const s = socket();
        try {
          s.cork();
          this.onFrame(s, frame);
          s.uncork();
          reader.release(frame);
        } catch {
          s.destroy();
        }
      },
      onError: () => socket().destroy(),
    });
    return reader;
  }

  private acceptTls(accepted: Socket, ctx: SecureContext): void {
    this.sockets.add(accepted);
    accepted.on('error', () => undefined);
    accepted.on('close', () => this.sockets.delete(accepted));
    tlsHandshake(accepted, ctx, (t: TLSSocket) => {
      const suite = suiteOf(t);
      if (this.stats.tlsSuites[suite] === undefined) this.opts.log?.(`TLS suite: ${suite}`);
      this.stats.tlsSuites[suite] = (this.stats.tlsSuites[suite] ?? 0) + 1;
      this.secure.add(t);
      const how = readTlsFrames(t, this.frameReader(() => t));
      this.stats.tlsRead[how] = (this.stats.tlsRead[how] ?? 0) + 1;
    });
  }

  private onFrame(socket: Socket, frame: Buffer): void {
    const r = new Reader(frame);
    const h = readRequestHeader(r);
    const codec = apiCodecs.get(h.requestApiKey);
    const supported = (SUPPORTED as readonly number[]).includes(h.requestApiKey);
    if (!codec || !supported || h.requestApiVersion < codec.minVersion || h.requestApiVersion > codec.maxVersion) {
      if (h.requestApiKey === ApiKey.ApiVersions) {
        // Unknown ApiVersions version: answer v0 with UNSUPPORTED_VERSION and our ranges.
        this.send(socket, h.correlationId, ApiKey.ApiVersions, 0, this.apiVersions(ErrorCode.UNSUPPORTED_VERSION));
        return;
      }
      socket.destroy();
      return;
    }
    const v = h.requestApiVersion;
    const req = codec.decodeRequest(r, v);
    switch (h.requestApiKey) {
      case ApiKey.ApiVersions:
        void (req as ApiVersionsRequest);
        this.send(socket, h.correlationId, ApiKey.ApiVersions, v, this.apiVersions(0));
        return;
      case ApiKey.Metadata:
        this.send(socket, h.correlationId, ApiKey.Metadata, v, this.metadata(req as MetadataRequest, this.secure.has(socket) ? this.sslPort : this.port));
        return;
      case ApiKey.CreateTopics:
        this.send(socket, h.correlationId, ApiKey.CreateTopics, v, this.createTopics(req as CreateTopicsRequest));
        return;
      case ApiKey.Produce: {
        const res = this.produce(req as ProduceRequest);
        if ((req as ProduceRequest).acks !== 0) this.send(socket, h.correlationId, ApiKey.Produce, v, res);
        return;
      }
      case ApiKey.ListOffsets:
        this.send(socket, h.correlationId, ApiKey.ListOffsets, v, this.listOffsets(req as ListOffsetsRequest));
        return;
      case ApiKey.Fetch:
        this.fetch(socket, h.correlationId, v, req as FetchRequest);
        return;
    }
  }

  private send(socket: Socket, correlationId: number, apiKey: number, version: number, body: unknown): void {
    const codec = apiCodecs.get(apiKey);
    if (!codec || socket.destroyed) return;
    const w = new Writer(256);
    w.writeInt32(0); // size, patched below
    w.writeInt32(correlationId);
    if (version >= codec.firstFlexibleVersion && apiKey !== ApiKey.ApiVersions) w.writeUInt8(0);
    codec.encodeResponse(w, body, version);
    const chunks = w.toChunks();
    const first = chunks[0] as Buffer;
    first.writeInt32BE(w.length - 4, 0);
    for (const c of chunks) socket.write(c);
  }

  private apiVersions(errorCode: number): unknown {
    return {
      errorCode,
      apiKeys: SUPPORTED.map((k) => {
        const c = apiCodecs.get(k);
        return { apiKey: k, minVersion: c?.minVersion ?? 0, maxVersion: c?.maxVersion ?? 0 };
      }),
      throttleTimeMs: 0,
    };
  }

  private metadata(req: MetadataRequest, port: number): unknown {
    const names = req.topics === null ? [...this.topics.keys()] : req.topics.map((t) => t.name ?? this.byId.get(t.topicId) ?? '');
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: this.host, port, rack: null }],
      clusterId: 'null-broker',
      controllerId: 1,
      topics: names.map((name) => {
        let t = this.topics.get(name);
        if (!t && req.allowAutoTopicCreation && name) t = this.createTopic(name, this.opts.defaultPartitions ?? 1);
        if (!t) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
        return {
          errorCode: 0,
          name,
          topicId: t.id,
          isInternal: false,
          partitions: t.counts.map((_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
        };
      }),
    };
  }

  private createTopics(req: CreateTopicsRequest): unknown {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((ct) => {
        if (this.topics.has(ct.name)) return { name: ct.name, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${ct.name}' already exists.` };
        const n = ct.numPartitions > 0 ? ct.numPartitions : (this.opts.defaultPartitions ?? 1);
        const t = req.validateOnly ? { id: randomUuid() } : this.createTopic(ct.name, n);
        return { name: ct.name, topicId: t.id, errorCode: 0, errorMessage: null, numPartitions: n, replicationFactor: 1, configs: [] };
      }),
    };
  }

  private produce(req: ProduceRequest): unknown {
    this.stats.produceRequests++;
    const responses: ProduceResponseTopicProduceResponseInit[] = req.topicData.map((td) => {
      const t = this.topics.get(td.name);
      return {
        name: td.name,
        partitionResponses: td.partitionData.map((pd) => {
          if (!t || pd.index < 0 || pd.index >= t.counts.length) return { index: pd.index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n };
          const base = t.counts[pd.index] as number;
          const recs = pd.records;
          let n = 0;
          if (recs && this.served !== null) {
            const first = this.served.append(td.name, pd.index, recs);
            if (first < 0) return { index: pd.index, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n };
            const r = this.served.range(td.name, pd.index);
            t.counts[pd.index] = r.end;
            this.stats.records += r.end - first;
            this.stats.bytes += recs.length;
            return { index: pd.index, errorCode: 0, baseOffset: BigInt(first), logAppendTimeMs: -1n, logStartOffset: BigInt(r.start) };
          }
          if (recs && this.files !== null) {
            n = this.files.append(td.name, pd.index, recs);
            if (n < 0) return { index: pd.index, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n };
            const vs = recs.length >= RECORD_BATCH_OVERHEAD ? firstValueSize(recs, 0) : -1;
            if (vs >= 0) t.valueSize = vs;
            this.stats.bytes += recs.length;
          } else if (recs) {
            let pos = 0;
            while (pos + RECORD_BATCH_OVERHEAD <= recs.length) {
              const size = recs.readInt32BE(pos + 8) + 12;
              n += recs.readInt32BE(pos + RECORDS_COUNT_OFFSET);
              if (pos === 0) {
                const vs = firstValueSize(recs, pos);
                if (vs >= 0) t.valueSize = vs;
              }
              pos += size;
            }
            this.stats.bytes += recs.length;
          }
          t.counts[pd.index] = base + n;
          this.stats.records += n;
          return { index: pd.index, errorCode: 0, baseOffset: BigInt(base), logAppendTimeMs: -1n, logStartOffset: 0n };
        }),
      };
    });
    return { responses, throttleTimeMs: 0 };
  }

  private listOffsets(req: ListOffsetsRequest): unknown {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((tr) => {
        const t = this.topics.get(tr.name);
        return {
          name: tr.name,
          partitions: tr.partitions.map((p) => {
            const hw = t?.counts[p.partitionIndex];
            if (hw === undefined) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n };
            const range = this.served?.range(tr.name, p.partitionIndex) ?? { start: 0, end: hw };
            const offset = BigInt(p.timestamp === -1n ? range.end : range.start);
            return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset, leaderEpoch: 0, oldStyleOffsets: [offset] };
          }),
        };
      }),
    };
  }

  private fetch(socket: Socket, correlationId: number, v: number, req: FetchRequest): void {
    this.stats.fetchRequests++;
    if (this.served !== null) {
      const topics = { nameOf: (name: string, id: string) => name || this.byId.get(id) || '', partitionsOf: (name: string) => this.topics.get(name)?.counts.length };
      // Corked: an answer sent from a produce or a timer goes out in one write, as one sent inline.
      const answer = (body: unknown): void => {
        socket.cork();
        this.send(socket, correlationId, ApiKey.Fetch, v, body);
        socket.uncork();
      };
      serveFetch(this.served, topics, req, v, answer, () => socket.destroyed);
      return;
    }
    let budget = req.maxBytes > 0 ? req.maxBytes : 50 * 1024 * 1024;
    let any = false;
    const responses: FetchResponseFetchableTopicResponseInit[] = req.topics.map((ft) => {
      const name = ft.topic || this.byId.get(ft.topicId) || '';
      const t = this.topics.get(name);
      return {
        topic: name,
        topicId: ft.topicId,
        partitions: ft.partitions.map((fp): FetchResponsePartitionDataInit => {
          const hw = t?.counts[fp.partition];
          if (t === undefined || hw === undefined) return { partitionIndex: fp.partition, errorCode: v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, records: null };
          const batches: Buffer[] = [];
          let offset = Number(fp.fetchOffset);
          let bytes = 0;
          const limit = Math.min(fp.partitionMaxBytes, budget);
          while (offset < hw) {
            const n = Math.min(FETCH_BATCH_RECORDS, hw - offset);
            const tpl = this.templates.get(t.valueSize, n);
            if (bytes > 0 && bytes + tpl.length > limit) break;
            const b = Buffer.allocUnsafe(tpl.length);
            tpl.copy(b);
            b.writeBigInt64BE(BigInt(offset), BASE_OFFSET_OFFSET);
            batches.push(b);
            bytes += b.length;
            offset += n;
          }
          budget -= bytes;
          if (bytes > 0) any = true;
          return { partitionIndex: fp.partition, errorCode: 0, highWatermark: BigInt(hw), lastStableOffset: BigInt(hw), logStartOffset: 0n, records: batches, abortedTransactions: [] };
        }),
      };
    });
    const answer = (): void => this.send(socket, correlationId, ApiKey.Fetch, v, { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses });
    if (any || req.maxWaitMs <= 0) answer();
    else setTimeout(answer, Math.min(req.maxWaitMs, 500));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const keystorePem = opt('--ssl-keystore');
  const storeDir = opt('--store');
  const serveCapMb = opt('--serve-cap-mb');
  const nb = new NullBroker({
    port: Number(args[0] !== undefined && !args[0].startsWith('--') ? args[0] : 0),
    defaultPartitions: 6,
    ...(keystorePem !== undefined ? { ssl: { port: Number(opt('--ssl-port') ?? 0), keystorePem } } : {}),
    ...(storeDir !== undefined ? { storeDir } : {}),
    ...(args.includes('--serve') ? { serve: serveCapMb !== undefined ? { capBytes: Number(serveCapMb) * 1024 * 1024 } : {} } : {}),
    log: (msg) => process.stdout.write(`${msg}\n`),
  });
  nb.start().then(
    (port) => process.stdout.write(`Null broker is up: PLAINTEXT://127.0.0.1:${port}${nb.sslPort > 0 ? `, SSL://127.0.0.1:${nb.sslPort}` : ''}${storeDir !== undefined ? ` (store mode: ${storeDir})` : ''}${nb.served !== null ? ' (serve mode)' : ''}\n`),
    (e: unknown) => {
      process.stderr.write(`null broker: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
  const stop = (): void => void nb.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
