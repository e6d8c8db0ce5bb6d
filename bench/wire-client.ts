/**
 * A minimal Kafka-protocol client on the project's generated codecs, for the parts of the
 * benchmark where a full client library would add its own start-up or batching costs: start-up
 * timing (first acknowledged produce) and the 10,000-partition test.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import { apiCodecs } from '../src/protocol/generated/registry.js';
import { writeRequestHeader } from '../src/protocol/header.js';
import { Reader } from '../src/protocol/primitives/reader.js';
import { Writer } from '../src/protocol/primitives/writer.js';
import { FrameSplitter } from '../src/network/frame-splitter.js';

export class WireClient {
  private correlation = 1;
  private readonly waiting = new Map<number, { apiKey: number; version: number; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly splitter = new FrameSplitter(512 * 1024 * 1024);

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.splitter.push(d, (f) => this.onFrame(f)));
    const fail = (e: Error): void => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
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

  /** Connects, retrying every `intervalMs` until `deadline` (performance.now() ms). */
  static async connectRetry(port: number, deadline: number, intervalMs = 2): Promise<WireClient> {
    for (;;) {
      try {
        return await WireClient.connect(port);
      } catch (e) {
        if (performance.now() > deadline) throw e;
        await sleep(intervalMs);
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }

  request<T = unknown>(apiKey: number, version: number, body: unknown): Promise<T> {
    const codec = apiCodecs.get(apiKey);
    if (!codec) throw new Error(`no codec for API key ${apiKey}`);
    const correlationId = this.correlation++;
    const w = new Writer(256);
    w.writeInt32(0);
    writeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'samsa-bench' });
    codec.encodeRequest(w, body, version);
    const chunks = w.toChunks();
    (chunks[0] as Buffer).writeInt32BE(w.length - 4, 0);
    const p = new Promise<T>((resolve, reject) => this.waiting.set(correlationId, { apiKey, version, resolve: resolve as (v: unknown) => void, reject }));
    for (const c of chunks) this.socket.write(c);
    return p;
  }

  private onFrame(frame: Buffer): void {
    const r = new Reader(frame);
    const correlationId = r.readInt32();
    const w = this.waiting.get(correlationId);
    if (!w) return;
    this.waiting.delete(correlationId);
    const codec = apiCodecs.get(w.apiKey);
    try {
      if (codec && w.version >= codec.firstFlexibleVersion && w.apiKey !== ApiKey.ApiVersions) r.readTaggedFields();
      w.resolve(codec?.decodeResponse(r, w.version));
    } catch (e) {
      w.reject(e as Error);
    }
  }
}
