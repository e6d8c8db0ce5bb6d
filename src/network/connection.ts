/**
 * One client connection: splits frames, dispatches each request, and writes responses strictly in
 * request order (requests may be pipelined and complete out of order). Pauses reading when too
 * many requests are outstanding.
 */
import type { Socket } from 'node:net';
import { log } from '../common/logger.js';
import { FrameTooLargeError } from './frame-splitter.js';
import { adoptFrameSocket, FrameReader } from './frame-reader.js';

/** What the dispatcher returns for a frame: response chunks (size prefix excluded), or null for no response. */
export type DispatchResult = Buffer[] | null;

export interface FrameDispatcher {
  /** Handles one request frame. Throwing (or rejecting) closes the connection. */
  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
  /**
   * True when a request of this API key, once dispatch() has returned a result (not a promise),
   * holds no reference to its frame's bytes, so the frame buffer can be reused.
   */
  frameFreeAfterReturn?(apiKey: number): boolean;
  /** Called once a response's chunks have been written to the socket (or the write failed). */
  responseWritten?(chunks: Buffer[]): void;
}

interface Slot {
  ready: boolean;
  chunks: Buffer[] | null;
}

const MAX_IN_FLIGHT = 64;
/** Stop reading requests while this many response bytes wait for a slow client to read them. */
const MAX_UNSENT_RESPONSE_BYTES = 8 * 1024 * 1024;

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  readonly state = new Map<string, unknown>();
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly queue: Slot[] = [];
  private closed = false;
  private paused = false;
  private resuming = false;
  private readonly backlog: Buffer[] = [];

  constructor(
    accepted: Socket,
    private readonly dispatcher: FrameDispatcher,
    maxFrameBytes: number,
    readonly listenerName: string,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remoteAddress = accepted.remoteAddress ?? '';
    this.remotePort = accepted.remotePort ?? 0;
    this.reader = new FrameReader(maxFrameBytes, {
      onFrame: (frame) => this.onFrame(frame),
      onError: (e) => this.close(e instanceof FrameTooLargeError ? e.message : `frame error: ${String(e)}`),
    });
    const socket = adoptFrameSocket(accepted, this.reader);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', (err) => log.debug(`connection ${this.id} error: ${err.message}`));
    socket.on('close', () => this.teardown());
    socket.on('drain', () => this.maybeResume());
    if (socket.destroyed) queueMicrotask(() => this.teardown());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(reason?: string): void {
    if (this.closed) return;
    if (reason) log.debug(`closing connection ${this.id} from ${this.remoteAddress}:${this.remotePort}: ${reason}`);
    this.teardown();
    this.socket.destroy();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.backlog.length = 0;
    this.onClose(this);
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    // While paused, frames already read (the rest of the current chunk) wait here: bounded by
    // what one read delivered.
    if (this.paused) this.backlog.push(frame);
    else this.dispatchFrame(frame);
  }

  private dispatchFrame(frame: Buffer): void {
    const slot: Slot = { ready: false, chunks: null };
    this.queue.push(slot);
    if (this.queue.length >= MAX_IN_FLIGHT) this.pause();
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = this.dispatcher.dispatch(frame, this);
    } catch (e) {
      this.close(`request failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (chunks) => this.complete(slot, chunks),
        (e: unknown) => this.close(`request failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    } else {
      if (frame.length >= 2 && this.dispatcher.frameFreeAfterReturn?.(frame.readInt16BE(0)) === true) this.reader.release(frame);
      this.complete(slot, result);
    }
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private complete(slot: Slot, chunks: DispatchResult): void {
    if (this.closed) return;
    slot.ready = true;
    slot.chunks = chunks;
    this.flush();
  }

  private flush(): void {
    const q = this.queue;
    if (q.length === 0 || !(q[0] as Slot).ready) return;
    this.socket.cork();
    while (q.length > 0 && (q[0] as Slot).ready) {
      const slot = q.shift() as Slot;
      const chunks = slot.chunks;
      if (chunks === null) continue;
      let size = 0;
      for (const c of chunks) size += c.length;
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(size, 0);
      this.socket.write(prefix);
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(chunks[i] as Buffer);
      if (last >= 0) {
        const written = this.dispatcher.responseWritten;
        if (written === undefined) this.socket.write(chunks[last] as Buffer);
        else this.socket.write(chunks[last] as Buffer, () => written.call(this.dispatcher, chunks));
      }
    }
    this.socket.uncork();
    // A client that does not read its responses must not make us buffer without bound.
    if (this.socket.writableLength >= MAX_UNSENT_RESPONSE_BYTES) this.pause();
    else this.maybeResume();
  }

  private maybeResume(): void {
    if (!this.paused || this.resuming || this.closed) return;
    if (this.queue.length >= MAX_IN_FLIGHT / 2 || this.socket.writableLength >= MAX_UNSENT_RESPONSE_BYTES) return;
    this.paused = false;
    // Frames read before the pause go first, in order; any of them may pause us again.
    this.resuming = true;
    while (!this.paused && !this.closed && this.backlog.length > 0) this.dispatchFrame(this.backlog.shift() as Buffer);
    this.resuming = false;
    if (!this.paused && !this.closed) this.socket.resume();
  }
}
