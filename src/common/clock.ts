/** The one place that reads wall-clock time; inject a Clock to control time in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
