/**
 * V8 tiering of a broker process (`samsa start`).
 *
 * Kafka's rule: the broker's launcher picks the runtime's performance settings for it
 * (kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS: G1, its pause target, and so on), and an
 * operator may set their own instead.
 *
 * Samsa's counterpart: V8 optimises a function once it has run a budget of bytecode (the
 * "interrupt budget", 66 KiB by default). A broker under a throughput load answers few, large
 * requests (about 1,000 Produce requests per GB of 1 KiB records at librdkafka's 1 MB batches), so
 * the per-request code runs unoptimised for the first gigabytes: at the default budget, the
 * broker's user CPU per GB of 1 KiB produce after 0.5 GB was 0.31 s, at 8 KiB 0.23 s
 * (bench/README.md). `samsa start` therefore lowers the budget to 8 KiB once the broker is up (the
 * flag applies from each function's next budget check on; set before the broker's modules load, it
 * cost ~130 ms more CPU at start, spent optimising code that runs once). Deviations: the in-process API
 * (`startBroker()` in src/index.ts) changes no flag of its host process; a flag given on the
 * command line (`node --interrupt-budget=N samsa.js start`) wins.
 */
import { setFlagsFromString } from 'node:v8';

/** Bytes of bytecode a function runs before V8 considers optimising it (V8's default: 67,584). */
export const BROKER_INTERRUPT_BUDGET = 8192;

/** Lowers V8's interrupt budget for this process unless its command line set one. Returns whether it did. */
export function tuneV8ForBroker(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a.startsWith('--interrupt-budget') || a.startsWith('--interrupt_budget'))) return false;
  setFlagsFromString(`--interrupt-budget=${BROKER_INTERRUPT_BUDGET}`);
  return true;
}
