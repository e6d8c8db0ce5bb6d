/**
 * One fuzzing connection: writes each mutated frame followed by an ApiVersions probe, discards the
 * other answers and waits for the probe's. Requests are answered in order, so the probe's answer
 * means the broker has handled the frame; a closed connection (the broker rejected the frame) is
 * reopened for the next one, so no frame is lost behind a rejected one; a probe with no answer
 * (e.g. a Fetch parked for its max wait, a JoinGroup waiting for a rebalance) counts as a stall
 * and the connection is replaced. A frame whose size prefix lies is written last on its connection.
 */
import { connect, type Socket } from 'node:net';
import { WireClient } from '../../helpers/wire.js';

export interface ConnStats {
  closedByBroker: number;
  stalls: number;
  probes: number;
}

let probeSeq = 0;

export class FuzzConnection {
  private socket: Socket | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private waiter: { corr: number; done: (r: 'answered' | 'closed') => void } | null = null;
  private closedFlag = true;

  constructor(private readonly port: number, private readonly stats: ConnStats) {}

  private async open(): Promise<void> {
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = connect({ port: this.port, host: '127.0.0.1' }, () => {
        sock.off('error', reject);
        resolve(sock);
      });
      sock.once('error', reject);
    });
    this.socket = s;
    this.pending = Buffer.alloc(0);
    this.closedFlag = false;
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.socket !== s) return;
      this.closedFlag = true;
      this.stats.closedByBroker++;
      this.waiter?.done('closed');
      this.waiter = null;
    });
  }

  private onData(d: Buffer): void {
    this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
    while (this.pending.length >= 8) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) break;
      const corr = this.pending.readInt32BE(4);
      this.pending = this.pending.subarray(4 + size);
      if (this.waiter && corr === this.waiter.corr) {
        this.waiter.done('answered');
        this.waiter = null;
      }
    }
  }

  /** Writes one frame, reopening the connection first if the broker closed it. */
  async write(frame: Buffer): Promise<void> {
    if (this.closedFlag || this.socket === null) await this.open();
    this.socket?.write(frame);
  }

  /**
   * Writes `frame` followed by an ApiVersions probe and waits for the probe's answer (the frame was
   * handled and the connection is usable), the close (the broker rejected the frame) or a stall
   * (the connection is replaced).
   */
  async writeAndProbe(frame: Buffer, timeoutMs: number): Promise<'answered' | 'closed' | 'stalled'> {
    if (this.closedFlag || this.socket === null) await this.open();
    return this.probe(timeoutMs, frame);
  }

  /** Sends an ApiVersions probe and waits for it (or the close); replaces the connection on a stall. */
  async probe(timeoutMs: number, before?: Buffer): Promise<'answered' | 'closed' | 'stalled'> {
    if (this.closedFlag || this.socket === null) return 'closed';
    this.stats.probes++;
    const corr = 0x70000000 + (probeSeq++ % 0x0fffffff);
    const result = await new Promise<'answered' | 'closed' | 'stalled'>((resolve) => {
      const t = setTimeout(() => {
        this.waiter = null;
        resolve('stalled');
      }, timeoutMs);
      this.waiter = {
        corr,
        done: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      };
      const probe = WireClient.encodeRequest(18, 0, {}, corr, 'fuzz-probe');
      this.socket?.write(before === undefined ? probe : Buffer.concat([before, probe]));
    });
    if (result === 'stalled') {
      this.stats.stalls++;
      this.close();
    }
    return result;
  }

  /** Writes a frame whose size prefix lies, then ends the connection (nothing after it could be framed). */
  async writeLast(frame: Buffer): Promise<void> {
    await this.write(frame);
    this.close(true);
  }

  close(graceful = false): void {
    const s = this.socket;
    this.socket = null;
    this.closedFlag = true;
    if (graceful) s?.end();
    else s?.destroy();
  }
}
