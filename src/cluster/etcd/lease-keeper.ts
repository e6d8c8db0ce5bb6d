/**
 * Keeps one etcd lease alive for as long as etcd has it (the registration of a broker, the
 * campaign of a controller candidate): Kafka's rule is ZooKeeper's session, expired only by the
 * server; a client that could not reach it kept its session until it reconnected and learnt
 * otherwise. So the lease is lost only when etcd says so (a keep-alive answered with TTL 0),
 * never because etcd is unreachable.
 * Samsa deviation (etcd, not ZooKeeper): keep-alives go on a stream to one etcd member; a member
 * that dies or freezes (its TCP connection may stay open and silent, and gRPC's own keepalive
 * notices that only after 15 s) must not take the lease with it, so the keeper moves its stream to
 * the next member of etcd.endpoints as soon as a keep-alive is left unanswered for one interval
 * (TTL/4). etcd3's Lease instead waits a whole TTL before opening a new stream (on a random member,
 * possibly the same one), which loses a 2 s lease when one member of three dies.
 */
import type { IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { systemClock } from '../../common/clock.js';
import { log } from '../../common/logger.js';
import type { EtcdSession } from './session.js';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

/**
 * Sends a keep-alive every TTL/4 on one stream to one etcd member; reports `lost` only on an
 * answer with TTL 0. A member that leaves a keep-alive unanswered for more than one interval (dead,
 * frozen, cut off: its TCP connection may stay open and silent, and gRPC's own keepalive notices
 * that only after 15 s) is abandoned: the stream moves to the next member of etcd.endpoints, so a
 * lease outlives the loss of any one member of a multi-member etcd (the keep-alive that follows is
 * answered with a good margin before the TTL runs out). While no member answers it logs once and
 * keeps going round the members.
 */
export class LeaseKeeper {
  stopped = false;
  private stream: KeepAliveStream | null = null;
  /** Incremented by every open and drop: an open that resolves after a newer one is discarded. */
  private generation = 0;
  private opening = false;
  /** Index in session.endpoints of the member the stream goes to. */
  private member: number;
  private lastAnswerMs = systemClock.now();
  /** When the current member was chosen (its silence counts from then or its last answer). */
  private memberSinceMs = systemClock.now();
  private unreachableLogged = false;
  private readonly timer: NodeJS.Timeout;
  private readonly intervalMs: number;
  private readonly lost: ((err: Error) => void)[] = [];

  constructor(
    private readonly session: EtcdSession,
    private readonly leaseId: string,
    private readonly ttl: number,
    private readonly who: string,
  ) {
    this.intervalMs = Math.max(200, Math.floor((ttl * 1000) / 4));
    // Spread the brokers' keep-alive streams over the members.
    this.member = Math.floor(Math.random() * session.endpoints.length);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  /** The etcd member (client URL) the keep-alives go to now. */
  get endpoint(): string {
    return this.session.endpoints[this.member] ?? '';
  }

  /**
   * How long etcd has left this lease's keep-alives unanswered (Infinity once lost or stopped): a
   * broker silent for long enough may have lost its lease without knowing it yet.
   */
  get silentMs(): number {
    return this.stopped ? Number.POSITIVE_INFINITY : systemClock.now() - this.lastAnswerMs;
  }

  onLost(listener: (err: Error) => void): void {
    this.lost.push(listener);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.drop();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = systemClock.now();
    const silentMs = now - this.lastAnswerMs;
    if (silentMs > this.ttl * 1000 && !this.unreachableLogged) {
      this.unreachableLogged = true;
      log.warn(`${this.who}: etcd has not answered keep-alives of lease ${this.leaseId} for ${silentMs} ms; still registered as far as this broker knows, retrying`);
    }
    // The previous keep-alive is unanswered after a whole interval: this member may be dead or
    // frozen; move to the next one while the lease still has half of its TTL.
    if (now - Math.max(this.lastAnswerMs, this.memberSinceMs) > 1.5 * this.intervalMs) {
      const from = this.endpoint;
      this.drop();
      this.member = (this.member + 1) % this.session.endpoints.length;
      this.memberSinceMs = now;
      if (this.session.endpoints.length > 1) log.debug(`${this.who}: etcd member ${from} left a keep-alive of lease ${this.leaseId} unanswered for ${now - this.lastAnswerMs} ms; keep-alives go to ${this.endpoint} now`);
    }
    if (this.stream !== null) {
      try {
        this.stream.write({ ID: this.leaseId });
      } catch {
        this.drop();
      }
      return;
    }
    if (!this.opening) this.open();
  }

  private open(): void {
    const generation = ++this.generation;
    this.opening = true;
    this.session.memberClient(this.endpoint).leaseClient.leaseKeepAlive().then(
      (s) => {
        if (this.stopped || generation !== this.generation) {
          s.cancel();
          return;
        }
        this.opening = false;
        this.stream = s;
        s.on('data', (r) => this.answered(r));
        s.on('error', () => {
          if (this.stream === s) this.stream = null;
        });
        s.on('end', () => {
          if (this.stream === s) this.stream = null;
        });
        s.write({ ID: this.leaseId });
      },
      () => {
        // The next tick opens again (on the next member once this one has been silent too long).
        if (generation === this.generation) this.opening = false;
      },
    );
  }

  private answered(r: ILeaseKeepAliveResponse): void {
    if (this.stopped) return;
    if (r.TTL === '0' || Number(r.TTL) <= 0) {
      this.stop();
      const err = new Error(`etcd lease ${this.leaseId} expired`);
      log.warn(`${this.who}: etcd lease ${this.leaseId} expired (not renewed within its TTL of ${this.ttl} s), no longer registered`);
      for (const l of this.lost) l(err);
      return;
    }
    if (this.unreachableLogged) log.info(`${this.who}: etcd answers again; lease ${this.leaseId} is still valid`);
    this.unreachableLogged = false;
    this.lastAnswerMs = systemClock.now();
  }

  private drop(): void {
    this.generation++;
    this.opening = false;
    const s = this.stream;
    this.stream = null;
    if (s === null) return;
    try {
      s.cancel();
    } catch {
      // already closed
    }
  }
}
