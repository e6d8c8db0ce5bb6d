/**
 * Drives real group consumers (child processes, see consumer-scripts.ts) against a broker and
 * checks what they saw: assignments, records, commits. The checks are client-agnostic:
 *   - every produced value was consumed by the group;
 *   - no record was consumed after a commit past its offset had been acknowledged (a group must
 *     never re-deliver committed records; uncommitted ones may come again after a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DEBIAN_PYTHON } from '../helpers/run-process.js';
import { CONFLUENT_CONSUMER, KAFKAJS_CONSUMER, KAFKA_PYTHON_CONSUMER } from './consumer-scripts.js';

export type ClientKind = 'kafkajs' | 'confluent' | 'kafka-python';

export interface ConsumerEvent {
  ev: string;
  t: number;
  parts?: number[];
  full?: boolean;
  p?: number;
  o?: number;
  v?: string;
  offs?: Record<string, number>;
  e?: string;
}

export interface ConsumerJob {
  bootstrap: string;
  group: string;
  topic: string;
  id: string;
  session: number;
  strategy?: string;
  /** 'consumer': KIP-848's group.protocol=consumer (confluent-kafka on librdkafka 2.12). */
  protocol?: 'consumer';
  /** group.instance.id (static membership). */
  instance?: string;
  /** client.rack (confluent-kafka). */
  rack?: string;
}

export class GroupConsumer {
  readonly events: ConsumerEvent[] = [];
  readonly assignment = new Set<number>();
  private stderr = '';
  private partial = '';
  readonly exited: Promise<number | null>;
  alive = true;

  constructor(readonly kind: ClientKind, readonly job: ConsumerJob, private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-20_000);
    });
    this.exited = new Promise((res) => child.once('exit', (code) => {
      this.alive = false;
      res(code);
    }));
  }

  /** `env`: the child's environment (e.g. LD_LIBRARY_PATH to librdkafka 2.12). */
  static start(kind: ClientKind, job: ConsumerJob, env?: NodeJS.ProcessEnv): GroupConsumer {
    const arg = JSON.stringify(job);
    const child =
      kind === 'kafkajs'
        ? spawn(process.execPath, [KAFKAJS_CONSUMER, arg], { stdio: ['ignore', 'pipe', 'pipe'], env })
        : spawn(DEBIAN_PYTHON, ['-c', kind === 'confluent' ? CONFLUENT_CONSUMER : KAFKA_PYTHON_CONSUMER, arg], { stdio: ['ignore', 'pipe', 'pipe'], env });
    return new GroupConsumer(kind, job, child);
  }

  get id(): string {
    return this.job.id;
  }

  private onData(s: string): void {
    const text = this.partial + s;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let e: ConsumerEvent;
      try {
        e = JSON.parse(line) as ConsumerEvent;
      } catch {
        continue;
      }
      this.events.push(e);
      if (e.ev === 'assign') {
        if (e.full) this.assignment.clear();
        for (const p of e.parts ?? []) this.assignment.add(p);
      } else if (e.ev === 'revoke') {
        for (const p of e.parts ?? []) this.assignment.delete(p);
      }
    }
  }

  records(): ConsumerEvent[] {
    return this.events.filter((e) => e.ev === 'rec');
  }

  /** SIGTERM: the consumer closes (LeaveGroup) and exits. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }

  /** SIGKILL: gone without leaving the group. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `${this.kind} ${this.id} (alive ${this.alive}, assignment [${[...this.assignment].sort().join(',')}], ${this.records().length} records)\nstderr tail:\n${this.stderr.slice(-3000)}`;
  }
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the live consumers own disjoint partitions covering 0..n-1 with the given sizes (any order). */
export async function waitForAssignment(consumers: GroupConsumer[], numPartitions: number, sizes: number[], timeoutMs = 30_000): Promise<void> {
  const want = [...sizes].sort().join(',');
  const live = (): GroupConsumer[] => consumers.filter((c) => c.alive);
  await waitUntil(
    () => {
      const l = live();
      const got = l.map((c) => c.assignment.size).sort().join(',');
      if (got !== want) return false;
      const union = new Set<number>();
      for (const c of l) for (const p of c.assignment) union.add(p);
      return union.size === numPartitions;
    },
    timeoutMs,
    () => `assignment sizes [${want}] over ${numPartitions} partitions; have:\n${live().map((c) => c.describe()).join('\n')}`,
  );
}

export interface Verdict {
  consumed: Set<string>;
  violations: string[];
  duplicates: number;
}

/** Checks the records and commits of all consumers of one group. */
export function verifyGroup(consumers: GroupConsumer[]): Verdict {
  const commits = new Map<number, { t: number; offset: number }[]>();
  for (const c of consumers) {
    for (const e of c.events) {
      if (e.ev !== 'commit') continue;
      for (const [p, o] of Object.entries(e.offs ?? {})) {
        let list = commits.get(Number(p));
        if (!list) commits.set(Number(p), (list = []));
        list.push({ t: e.t, offset: o });
      }
    }
  }
  const consumed = new Set<string>();
  const violations: string[] = [];
  let duplicates = 0;
  for (const c of consumers) {
    for (const e of c.records()) {
      const v = e.v as string;
      if (consumed.has(v)) duplicates++;
      consumed.add(v);
      const p = e.p as number;
      const o = e.o as number;
      for (const cm of commits.get(p) ?? []) {
        if (cm.t < e.t && cm.offset > o) {
          violations.push(`${c.id} consumed partition ${p} offset ${o} at ${e.t}, after offset ${cm.offset} was committed at ${cm.t}`);
          break;
        }
      }
    }
  }
  return { consumed, violations, duplicates };
}
