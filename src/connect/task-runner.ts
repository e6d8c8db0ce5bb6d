/**
 * What the sink and source task runners (sink-runner.ts, source-runner.ts) share: their
 * dependencies (the task's plugin and configs, converters, transforms, error settings, status
 * listener), the start / pause / resume lifecycle of the run loop, and how a task failure is
 * reported.
 *
 * Kafka's rules kept (WorkerTask): a task starts RUNNING, or PAUSED when its connector's target
 * state is PAUSED; pausing and resuming report the new state; an error that ends the run loop
 * moves the task to FAILED with the error's trace, unless the task is being stopped.
 * Samsa's deviations: none.
 */
import type { ClusterClient } from '../client/cluster-client.js';
import type { ConnectorPlugin, TaskConfig } from './api.js';
import type { Converter } from './converters.js';
import type { ErrorSettings } from './errors.js';
import { State, traceOf, type StatusListener } from './task-status.js';
import type { Transform } from './transforms.js';

export interface TaskRunnerDeps {
  cluster: ClusterClient;
  /** The runner closes `cluster` when it stops (a client of the task's own). */
  ownsCluster?: boolean;
  connector: string;
  taskId: number;
  plugin: ConnectorPlugin;
  taskConfig: TaskConfig;
  connectorConfig: Readonly<Record<string, string>>;
  keyConverter: Converter;
  valueConverter: Converter;
  transforms: Transform[];
  errors: ErrorSettings;
  onStatus: StatusListener;
  log: (msg: string) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export abstract class TaskRunner<D extends TaskRunnerDeps> {
  protected stopping = false;
  protected paused = false;
  protected loop: Promise<void> | null = null;

  constructor(protected readonly d: D) {}

  start(paused: boolean): void {
    this.paused = paused;
    this.loop = this.run();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.d.onStatus({ state: paused ? State.PAUSED : State.RUNNING, trace: null });
  }

  /** Stops the run loop and the task (and the task's own client). */
  abstract stop(): Promise<void>;

  /** The run loop; it returns when the runner stops or the task fails. */
  protected abstract run(): Promise<void>;

  /** The task has started: RUNNING, or PAUSED when it was started paused. */
  protected reportStarted(): void {
    this.d.onStatus({ state: this.paused ? State.PAUSED : State.RUNNING, trace: null });
  }

  /** The run loop ended with `e`: the task is FAILED (an error while stopping is not a failure). */
  protected reportFailed(e: unknown): void {
    if (this.stopping) return;
    this.d.log(`task ${this.d.connector}-${this.d.taskId} failed: ${traceOf(e)}`);
    this.d.onStatus({ state: State.FAILED, trace: traceOf(e) });
  }
}
