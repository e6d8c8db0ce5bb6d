/**
 * Liveness under a huge request: sends one big frame on its own connection and, until its answer
 * arrives, keeps sending ApiVersions on another connection, recording the slowest of them and
 * the broker's peak RSS. The bound tests assert on is generous (a liveness check, not a timing
 * benchmark); the measured figures are printed for the report.
 */
import { connect } from 'node:net';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { rssKiB } from './compat.js';
import type { WireClient } from './wire.js';

export interface LivenessRun {
  /** The response frame without its size prefix (correlation id first). */
  payload: Buffer;
  elapsedMs: number;
  worstProbeMs: number;
  probes: number;
  peakRssMiB: number;
}

/** Sends `frame` on its own connection; resolves with the response payload (chunks joined once). */
export function sendBig(port: number, frame: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(frame));
    const chunks: Buffer[] = [];
    let got = 0;
    let need = -1;
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed before the answer')));
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (need < 0 && got >= 4) need = Buffer.concat(chunks).readInt32BE(0) + 4;
      if (need >= 0 && got >= need) {
        s.removeAllListeners('close');
        s.destroy();
        resolve(Buffer.concat(chunks, got).subarray(4, need));
      }
    });
  });
}

/** Sends `frame` and probes with ApiVersions on `probe` until the answer arrives. */
export async function sendWhileProbing(port: number, pid: number, frame: Buffer, probe: WireClient): Promise<LivenessRun> {
  let done = false;
  let peak = rssKiB(pid);
  let worst = 0;
  let probes = 0;
  const started = performance.now();
  const answer = sendBig(port, frame).finally(() => (done = true));
  while (!done) {
    const t = performance.now();
    await Promise.race([probe.apiVersions(), answer]);
    if (!done) {
      worst = Math.max(worst, performance.now() - t);
      probes++;
    }
    peak = Math.max(peak, rssKiB(pid));
    await new Promise((r) => setTimeout(r, 5));
  }
  const payload = await answer;
  return { payload, elapsedMs: performance.now() - started, worstProbeMs: worst, probes, peakRssMiB: peak >> 10 };
}

/** One line of figures for the test log. */
export function describeRun(what: string, frame: Buffer, run: LivenessRun): string {
  return (
    `${what} (${(frame.length / 1e6).toFixed(1)} MB): answered in ${run.elapsedMs.toFixed(0)} ms (${(run.payload.length / 1e6).toFixed(1)} MB), ` +
    `broker peak RSS ${run.peakRssMiB} MB, slowest concurrent ApiVersions ${run.worstProbeMs.toFixed(0)} ms over ${run.probes} probes`
  );
}

/** A Reader over a response payload, past its header (correlation id `id` checked by the caller). */
export function responseBody(payload: Buffer, flexibleHeader: boolean): { correlationId: number; r: Reader } {
  const r = new Reader(payload);
  const correlationId = r.readInt32();
  if (flexibleHeader) r.readTaggedFields();
  return { correlationId, r };
}
