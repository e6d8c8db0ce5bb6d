/**
 * One client connection: splits frames, dispatches each request, and writes responses strictly in
 * request order (requests may be pipelined and complete out of order). Pauses reading when too
 * many requests are outstanding.
 */
import type { Socket } from 'node:net';
import { log } from '../common/logger.js';
import { FrameSplitter, FrameTooLargeError } from './frame-splitter.js';

/** What the dispatcher returns for a frame: response chunks (size prefix excluded), or null for no response. */
export type DispatchResult = Buffer[] | null;

export interface FrameDispatcher {
  /** Handles one request frame. Throwing (or rejecting) closes the connection. */
  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
}

interface Slot {
  ready: boolean;
  chunks: Buffer[] | null;
}

const MAX_IN_FLIGHT = 64;

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  readonly state = new Map<string, unknown>();
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly splitter: FrameSplitter;
  private readonly queue: Slot[] = [];
  private closed = false;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    private readonly dispatcher: FrameDispatcher,
    maxFrameBytes: number,
    readonly listenerName: string,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.splitter = new FrameSplitter(maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => log.debug(`connection ${this.id} error: ${err.message}`));
    socket.on('close', () => this.teardown());
    socket.on('drain', () => this.maybeResume());
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
    this.onClose(this);
  }

  private onData(chunk: Buffer): void {
    try {
      this.splitter.push(chunk, (frame) => this.onFrame(frame));
    } catch (e) {
      if (e instanceof FrameTooLargeError) this.close(e.message);
      else this.close(`frame error: ${String(e)}`);
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    const slot: Slot = { ready: false, chunks: null };
    this.queue.push(slot);
    if (this.queue.length >= MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
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
      this.complete(slot, result);
    }
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
      for (const c of chunks) this.socket.write(c);
    }
    this.socket.uncork();
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && this.queue.length < MAX_IN_FLIGHT / 2 && this.socket.writableLength < 8 * 1024 * 1024) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
