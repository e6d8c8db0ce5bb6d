/**
 * A minimal acks=all producer for fault tests, on the test's own wire client so that every answer
 * is seen: one single-record produce at a time to partition 0 of `topic` on broker `target()`
 * (re-read before each request, so a test can follow a leader change or stay on an old leader),
 * each answer recorded with its time, broker, value, error code and offset.
 */
import { WireClient } from './wire.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';

export interface Outcome {
  at: number;
  via: number;
  v: string;
  code: number;
  offset: number;
}

/** Sends one acks=all produce at a time to broker `target()` until stopped; every answer is recorded. */
export function producerLoop(portOf: (nodeId: number) => number, topic: string, target: () => number, prefix: string, outcomes: Outcome[]): { stop: () => Promise<void> } {
  let stopped = false;
  const run = async (): Promise<void> => {
    let i = 0;
    let client: WireClient | null = null;
    let via = -1;
    while (!stopped) {
      const want = target();
      try {
        if (client === null || via !== want || client.closed) {
          client?.close();
          via = want;
          client = await WireClient.connect(portOf(want));
        }
        const v = `${prefix}${i++}`;
        const r = await client.produce(topic, 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: v, timestamp: 1_000n }] }), -1);
        outcomes.push({ at: performance.now(), via, v, code: r.errorCode, offset: Number(r.baseOffset) });
        // A few hundred writes a second are plenty (the machine is shared).
        await new Promise((res) => setTimeout(res, r.errorCode !== 0 ? 50 : 2));
      } catch {
        client?.close();
        client = null;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    client?.close();
  };
  const done = run();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

