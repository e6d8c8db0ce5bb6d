/**
 * A minimal Kafka protocol client connection for Samsa's command-line tools: one TCP
 * connection, requests encoded and responses decoded with the generated codecs, answers matched
 * by correlation id.
 */
import { connect, type Socket } from 'node:net';
import { apiCodecs } from '../protocol/generated/registry.js';
import { responseHeaderVersion, writeRequestHeader } from '../protocol/header.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';

export class ClientConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientConnectionError';
  }
}

/** Parses "host:port" (IPv6 as "[::1]:9092"). */
export function parseHostPort(s: string, defaultPort = 9092): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new ClientConnectionError(`invalid address '${s}', expected host:port`);
  return { host: m[1] as string, port: m[2] !== undefined ? Number(m[2]) : defaultPort };
}

export class KafkaConnection {
  private buf: Buffer = Buffer.alloc(0);
  private nextCorrelation = 1;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket, readonly clientId: string) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new ClientConnectionError(e.message, { cause: e })));
    socket.on('close', () => this.fail(new ClientConnectionError('connection closed by the broker')));
  }

  static open(address: string, opts: { clientId?: string; timeoutMs?: number } = {}): Promise<KafkaConnection> {
    const { host, port } = parseHostPort(address);
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ClientConnectionError(`could not connect to ${address} within ${opts.timeoutMs ?? 10_000} ms`));
      }, opts.timeoutMs ?? 10_000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new KafkaConnection(s, opts.clientId ?? 'samsa-cli'));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new ClientConnectionError(`could not connect to ${address}: ${e.message}`, { cause: e }));
      });
    });
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** Sends a request and resolves with the decoded response body. */
  async request<T>(apiKey: number, version: number, body: unknown, timeoutMs = 30_000): Promise<T> {
    const codec = apiCodecs.get(apiKey);
    if (!codec) throw new Error(`no codec for API key ${apiKey}`);
    if (this.failure) throw this.failure;
    const correlationId = this.nextCorrelation++;
    const w = new Writer(256);
    w.writeInt32(0);
    writeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId });
    codec.encodeRequest(w, body, version);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const payload = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new ClientConnectionError(`${codec.name} request timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(correlationId, {
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(frame);
    });
    const r = new Reader(payload);
    r.readInt32();
    if (responseHeaderVersion(apiKey, version) === 1) r.readTaggedFields();
    return codec.decodeResponse(r, version) as T;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) break;
      const payload = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const w = this.waiting.get(payload.readInt32BE(0));
      if (w) {
        this.waiting.delete(payload.readInt32BE(0));
        w.resolve(payload);
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
