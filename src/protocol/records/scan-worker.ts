/** Worker-thread entry of scan-pool.ts: runs one ScanJob per message. */
import { parentPort } from 'node:worker_threads';
import { runScanJob, type ScanJob } from './scan-job.js';

const port = parentPort;
if (port === null) throw new Error('scan-worker must run as a worker thread');

port.on('message', (msg: { id: number; job: ScanJob }) => {
  void runScanJob(msg.job).then((result) => {
    port.postMessage({ id: msg.id, result }, result.ok && result.payload !== null ? [result.payload.buffer as ArrayBuffer] : []);
  });
});
