/**
 * Connector and task states as Kafka Connect reports them (AbstractStatus.State): UNASSIGNED,
 * RUNNING, PAUSED, STOPPED, FAILED, RESTARTING; a failed one carries the error's trace.
 */
export const State = {
  UNASSIGNED: 'UNASSIGNED',
  RUNNING: 'RUNNING',
  PAUSED: 'PAUSED',
  STOPPED: 'STOPPED',
  FAILED: 'FAILED',
  RESTARTING: 'RESTARTING',
} as const;
export type State = (typeof State)[keyof typeof State];

/** The target state of a connector (set by pause / resume / stop). */
export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';

export interface Status {
  state: State;
  trace: string | null;
  workerId: string;
  generation: number;
}

export type StatusListener = (s: { state: State; trace: string | null }) => void;

export const traceOf = (e: unknown): string => (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
