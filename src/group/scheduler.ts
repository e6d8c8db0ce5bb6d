/**
 * The coordinator's timers now come from the broker's one scheduler (src/common/scheduler.ts);
 * re-exported here so code importing it from group/ keeps compiling.
 */
export { ManualScheduler, realScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
