/**
 * Samsa's one Kafka protocol client: a TCP connection that sends requests encoded with the
 * generated codecs (request-frame.ts) and matches the answers by correlation id. The CLI (connection.ts), the test
 * helper (test/helpers/wire.ts) and the bench (bench/wire-client.ts) are thin wrappers over it.
 *
 * Kafka's rule: a broker answers a connection's requests in the order it received them, each
 * answer a size-prefixed frame that starts with the request's correlation id (response header v0,
 * plus tagged fields from v1 for flexible versions, never for ApiVersions); a request with acks=0
 * gets no answer at all. Kafka's clients match answers to the head of an in-flight queue.
 *
 * Samsa's deviations, all for testing a broker rather than for running applications:
 * - answers are matched by correlation id through a map, not by position, so a hand-made frame
 *   (writeRaw, sendFrame) and an answer that arrives after its request timed out do not shift
 *   every later answer; a frame nobody waits for goes to the `onUnsolicited` hook;
 * - one connection, no metadata, no retries, no reconnect: a timeout rejects the request and
 *   leaves the connection open, a broken stream rejects everything pending and closes it;
 * - answers are read by the broker's own FrameReader (socket user-buffer reads, each byte copied
 *   once into the buffer the caller sees; large answers in pooled buffers that `requestFrame`'s
 *   caller may give back); a size prefix below 4 (no room for a correlation id) or above
 *   `maxResponseBytes` is a broken stream;
 * - over TLS (`security.tls`) the decrypted bytes arrive as 'data' chunks and are copied into the
 *   same FrameReader (one more copy than the plain path, which stays as it is); with
 *   `security.sasl` the connection authenticates (client-security.ts) before connect() resolves.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { BufferPool } from '../common/buffer-pool.js';
import { FrameReader } from '../network/frame-reader.js';
import { FrameTooLargeError } from '../network/frame-splitter.js';
import { authenticate, type ClientSecurity } from './client-security.js';
import { codecOf, decodeResponseFrame, encodeRequestFrame } from './request-frame.js';

export { decodeResponseFrame, encodeRequestFrame } from './request-frame.js';

/** The connection could not be made, broke, or was closed; the cause is attached. */
export class ClientConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientConnectionError';
  }
}

/** No answer within the request's timeout (the connection stays open). */
export class RequestTimeoutError extends ClientConnectionError {
  constructor(
    /** What was sent, e.g. "Metadata request". */
    readonly what: string,
    readonly correlationId: number,
    readonly timeoutMs: number,
  ) {
    super(`${what} timed out after ${timeoutMs} ms (no response to correlation id ${correlationId})`);
    this.name = 'RequestTimeoutError';
  }
}

export interface ProtocolClientOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The local address to connect from (e.g. 127.0.0.2, to test host-based ACLs); default any. */
  localAddress?: string;
  /** Client id in every request header this client encodes; default 'samsa'. */
  clientId?: string | null;
  /** Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Default per-request timeout; 0 means none. Default 30,000 ms. */
  requestTimeoutMs?: number;
  /** Largest answer accepted; a larger size prefix breaks the connection. Default 1 GiB. */
  maxResponseBytes?: number;
  /** TCP_NODELAY; default true. */
  noDelay?: boolean;
  /** Called with every frame (payload after the size prefix) no request waits for. */
  onUnsolicited?: (frame: Buffer) => void;
  /**
   * Where large answers' buffers come from and go back to (`requestFrame`'s release); default a
   * pool of this connection's own.
   */
  pool?: BufferPool;
  /** TLS and/or SASL (client-security.ts); default plaintext. */
  security?: ClientSecurity;
}

/** An answer decoded with the frame it was read into (see ProtocolClient.requestFrame). */
export interface FramedResponse<T> {
  readonly body: T;
  /** Gives the frame's buffer back for reuse: only once nothing refers to the body's bytes (records) any more. */
  release(): void;
}

/** Frames up to this size given as chunks are joined and written at once. */
const SMALL_FRAME_BYTES = 16 * 1024;

/** Bytes a connection's own pool keeps for reuse at most (answers are read one at a time by most callers). */
const CLIENT_POOL_BYTES = 16 * 1024 * 1024;

interface Waiter {
  resolve(frame: Buffer): void;
  reject(e: Error): void;
}


export class ProtocolClient {
  readonly clientId: string | null;
  /** Frames no request waits for; replace to observe them (the default drops them). */
  onUnsolicited: (frame: Buffer) => void;
  private readonly reader: FrameReader;
  private readonly waiting = new Map<number, Waiter>();
  private readonly requestTimeoutMs: number;
  private nextCorrelation = 1;
  private failure: Error | null = null;
  private readonly closedPromise: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    reader: FrameReader,
    opts: ProtocolClientOptions,
  ) {
    this.clientId = opts.clientId === undefined ? 'samsa' : opts.clientId;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.onUnsolicited = opts.onUnsolicited ?? (() => undefined);
    this.reader = reader;
    socket.setNoDelay(opts.noDelay ?? true);
    let onClosed!: () => void;
    this.closedPromise = new Promise<void>((res) => (onClosed = res));
    socket.on('error', (e) => this.fail(new ClientConnectionError(e.message, { cause: e })));
    socket.on('close', () => {
      this.fail(new ClientConnectionError('connection closed by the broker'));
      onClosed();
    });
  }

  /**
   * Opens a connection (and authenticates, with `security.sasl`); rejects with
   * ClientConnectionError when it cannot be made in time or the TLS handshake fails, and with
   * ClientAuthenticationError when the broker refuses the credentials.
   */
  static async connect(opts: ProtocolClientOptions): Promise<ProtocolClient> {
    const client = await ProtocolClient.open(opts);
    const sasl = opts.security?.sasl;
    if (sasl === undefined) return client;
    try {
      await authenticate((apiKey, version, body) => client.request(apiKey, version, body), sasl);
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  private static open(opts: ProtocolClientOptions): Promise<ProtocolClient> {
    const host = opts.host ?? '127.0.0.1';
    const address = `${host.includes(':') ? `[${host}]` : host}:${opts.port}`;
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    const tls = opts.security?.tls;
    return new Promise((resolve, reject) => {
      // The reader's events reach the client once it exists (nothing is read before 'connect').
      let client: ProtocolClient | null = null;
      const reader = new FrameReader(
        opts.maxResponseBytes ?? 1024 * 1024 * 1024,
        {
          onFrame: (frame) => client?.onFrame(frame),
          onError: (e) => client?.broken(`size prefix ${(e as FrameTooLargeError).size} (accepted: 4 to ${(e as FrameTooLargeError).max})`, e),
        },
        opts.pool ?? new BufferPool(CLIENT_POOL_BYTES),
      );
      const local = opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {};
      let s: Socket;
      if (tls === undefined) {
        s = connect({
          host,
          port: opts.port,
          ...local,
          onread: {
            buffer: () => reader.target(),
            callback: (n: number) => {
              reader.received(n);
              return true;
            },
          },
        });
      } else {
        s = tlsConnect({
          host,
          port: opts.port,
          ...local,
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...(tls.secureContext !== undefined ? { secureContext: tls.secureContext } : {}),
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
          ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
          ...(tls.key !== undefined ? { key: tls.key } : {}),
          ...(tls.pfx !== undefined ? { pfx: tls.pfx } : {}),
          ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
          ...(tls.verifyHostname === false ? { checkServerIdentity: () => undefined } : {}),
        });
        s.on('data', (chunk: Buffer) => {
          for (let off = 0; off < chunk.length; ) {
            const target = reader.target();
            const n = chunk.copy(target, 0, off);
            off += n;
            reader.received(n);
          }
        });
      }
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ClientConnectionError(`could not connect to ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        client = new ProtocolClient(s, reader, opts);
        resolve(client);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        const what = tls === undefined ? '' : ' over TLS';
        reject(new ClientConnectionError(`could not connect to ${address}${what}: ${e.message}`, { cause: e }));
      });
    });
  }

  /** The connection broke or was closed (pending and later requests reject). */
  get closed(): boolean {
    return this.failure !== null;
  }

  /** Why the connection is unusable, or null while it is open. */
  get closeError(): Error | null {
    return this.failure;
  }

  /** Resolves once the socket has closed, whoever closed it. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Requests waiting for an answer. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Takes the next correlation id (for frames built by hand and sent with sendFrame). */
  newCorrelationId(): number {
    const id = this.nextCorrelation;
    this.nextCorrelation = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /**
   * Sends a request and resolves with the decoded response body. Requests may be pipelined.
   * `timeoutMs` overrides the client's default (0: wait as long as the connection lives).
   */
  async request<T>(apiKey: number, version: number, body: unknown, timeoutMs = this.requestTimeoutMs): Promise<T> {
    const correlationId = this.newCorrelationId();
    const frame = encodeRequestFrame(apiKey, version, body, correlationId, this.clientId);
    const answer = await this.sendFrame(correlationId, frame, timeoutMs, `${codecOf(apiKey).name} request`);
    return decodeResponseFrame<T>(apiKey, version, answer);
  }

  /**
   * request(), with a way to give the answer's buffer back once the caller is done with the
   * bytes the body refers to (a replica fetcher after appending the records): the next large
   * answer is read into it instead of a fresh buffer.
   */
  async requestFrame<T>(apiKey: number, version: number, body: unknown, timeoutMs = this.requestTimeoutMs): Promise<FramedResponse<T>> {
    const correlationId = this.newCorrelationId();
    const frame = encodeRequestFrame(apiKey, version, body, correlationId, this.clientId);
    const answer = await this.sendFrame(correlationId, frame, timeoutMs, `${codecOf(apiKey).name} request`);
    let decoded: T;
    try {
      decoded = decodeResponseFrame<T>(apiKey, version, answer);
    } catch (e) {
      this.reader.release(answer);
      throw e;
    }
    return { body: decoded, release: () => this.reader.release(answer) };
  }

  /**
   * Sends a frame (size prefix included; one buffer or chunks) that the broker answers with
   * `correlationId`, and resolves with the raw answer (payload after the size prefix).
   */
  sendFrame(correlationId: number, frame: Buffer | readonly Buffer[], timeoutMs = this.requestTimeoutMs, what = 'request'): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting.has(correlationId)) return Promise.reject(new Error(`correlation id ${correlationId} is already waiting for an answer`));
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new RequestTimeoutError(what, correlationId, timeoutMs));
      }, timeoutMs) : undefined;
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
      this.write(frame);
    });
  }

  /** Writes bytes as they are: a frame nobody waits for (acks=0), or malformed input. */
  writeRaw(bytes: Buffer | readonly Buffer[]): void {
    this.write(bytes);
  }

  /** Stops reading answers (they pile up in the broker's send buffers) until resume(). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Closes the connection; pending requests reject with ClientConnectionError. */
  close(): void {
    this.fail(new ClientConnectionError('connection closed by the client'));
    this.socket.destroy();
  }

  private write(bytes: Buffer | readonly Buffer[]): void {
    if (this.socket.destroyed) return;
    if (Buffer.isBuffer(bytes)) {
      this.socket.write(bytes);
      return;
    }
    // A small frame (a replica fetcher's Fetch, most requests) goes out as one buffer, one write:
    // corked chunks cost a writev and the stream's buffering per request.
    if (bytes.length === 1) {
      this.socket.write(bytes[0] as Buffer);
      return;
    }
    let size = 0;
    for (const c of bytes) size += c.length;
    if (size <= SMALL_FRAME_BYTES) {
      this.socket.write(Buffer.concat(bytes as Buffer[], size));
      return;
    }
    this.socket.cork();
    for (const c of bytes) this.socket.write(c);
    this.socket.uncork();
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiters) w.reject(this.failure);
  }

  private broken(reason: string, cause?: unknown): void {
    this.fail(new ClientConnectionError(`broker sent a malformed stream: ${reason}`, cause === undefined ? undefined : { cause }));
    this.socket.destroy();
  }

  private onFrame(frame: Buffer): void {
    if (this.failure) return;
    if (frame.length < 4) {
      this.broken(`a frame of ${frame.length} bytes has no correlation id`);
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const w = this.waiting.get(correlationId);
    if (w) {
      this.waiting.delete(correlationId);
      w.resolve(frame);
    } else {
      this.onUnsolicited(frame);
    }
  }
}
