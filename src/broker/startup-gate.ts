/**
 * The listeners' dispatcher during start-up. Kafka binds its acceptors early but enables request
 * processing only at the end of start-up (SocketServer.enableRequestProcessing); Samsa's listeners
 * accept and read at once, and this gate holds the requests that arrive before the logs and the
 * coordinators are loaded: they wait, in order per connection, and are routed once start-up has
 * finished.
 */
import type { Connection, DispatchResult, FrameDispatcher } from '../network/connection.js';
import type { RequestRouter } from './router.js';

/** Holds requests until `open(router)`, then passes every frame to the router. */
export class StartupGate implements FrameDispatcher {
  private router: RequestRouter | null = null;
  private readonly ready: Promise<void>;
  private resolveReady!: () => void;

  constructor() {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  open(router: RequestRouter): void {
    this.router = router;
    this.resolveReady();
  }

  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult> {
    const router = this.router;
    if (router !== null) return router.dispatch(frame, conn);
    const answer = this.ready.then(() => (this.router as RequestRouter).dispatch(frame, conn));
    // A Produce read before the broker is ready: nothing read after it runs before its handler
    // (which holds the connection further while its appends are asynchronous).
    if (frame.length >= 2 && frame.readInt16BE(0) === 0) conn.holdRequestsUntil(this.ready);
    return answer;
  }

  frameFreeAfterReturn(apiKey: number): boolean {
    return this.router !== null && this.router.frameFreeAfterReturn(apiKey);
  }

  responseWritten(chunks: Buffer[]): void {
    this.router?.responseWritten(chunks);
  }

  get timesRequests(): boolean {
    return this.router !== null && this.router.timesRequests;
  }

  requestTimed(apiKey: number, queueMs: number, localMs: number, remoteMs: number, responseQueueMs: number, sendMs: number): void {
    this.router?.requestTimed(apiKey, queueMs, localMs, remoteMs, responseQueueMs, sendMs);
  }
}
