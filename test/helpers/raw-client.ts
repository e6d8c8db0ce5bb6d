/**
 * A minimal Kafka protocol client over one TCP connection, built on the generated codecs, for
 * tests that need exact control of requests (versions, raw bytes) or to verify what a real
 * client stored.
 */
import { connect, type Socket } from 'node:net';
import { apiCodecs } from '../../src/protocol/generated/registry.js';
import { requestHeaderVersion, responseHeaderVersion, writeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private nextCorrelation = 1;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error): void => {
      this.closedError = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Sends raw bytes (a whole frame including its size prefix, or garbage). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when the server closes the connection, or false after `ms`. */
  waitClosed(ms: number): Promise<boolean> {
    if (this.closedError) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Sends a request and returns the decoded response body. */
  async request<T = unknown>(apiKey: number, version: number, body: unknown): Promise<T> {
    const codec = apiCodecs.get(apiKey);
    if (!codec) throw new Error(`no codec for API ${apiKey}`);
    const correlationId = this.nextCorrelation++;
    const w = new Writer();
    w.writeInt32(0);
    writeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'samsa-test' });
    codec.encodeRequest(w, body, version);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const payload = await this.send(correlationId, frame);
    const r = new Reader(payload);
    r.readInt32();
    if (responseHeaderVersion(apiKey, version) === 1) r.readTaggedFields();
    return codec.decodeResponse(r, version) as T;
  }

  /** Sends a pre-built frame for which a response with `correlationId` is expected; returns the raw payload. */
  send(correlationId: number, frame: Buffer): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, { resolve, reject });
      this.socket.write(frame);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) break;
      const payload = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const corr = payload.readInt32BE(0);
      const w = this.waiting.get(corr);
      if (w) {
        this.waiting.delete(corr);
        w.resolve(payload);
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export { requestHeaderVersion };
