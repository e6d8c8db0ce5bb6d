/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per file.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { ProfileEntry } from './report.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  startTime: number;
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string, root: string): string {
  if (!url) return '(native)';
  let u = url.startsWith('file://') ? url.slice(7) : url;
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm);
  if (u.startsWith('/')) u = relative(root, u);
  return u;
}

/**
 * Self time per function and per file. With `window` (microseconds on the system's monotonic
 * clock, i.e. process.hrtime.bigint() / 1000n in any process on the machine, which is what V8
 * stamps samples with) only samples inside it count, so start-up and shutdown drop out.
 */
export function summariseProfile(file: string, root: string, topN = 15, window?: { fromUs: number; toUs: number }): { totalMs: number; top: ProfileEntry[]; byFile: ProfileEntry[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map<number, CpuProfileNode>();
  for (const nd of p.nodes) nodes.set(nd.id, nd);
  const byFn = new Map<string, { functionName: string; location: string; us: number }>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const nd = nodes.get(p.samples[i] as number);
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (!nd) continue;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const fnName = nd.callFrame.functionName || '(anonymous)';
    if (fnName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const file = shortUrl(nd.callFrame.url, root);
    const loc = nd.callFrame.url ? `${file}:${nd.callFrame.lineNumber + 1}` : file;
    const key = `${fnName}@${loc}`;
    const e = byFn.get(key) ?? { functionName: fnName, location: loc, us: 0 };
    e.us += dt;
    byFn.set(key, e);
    byFile.set(file, (byFile.get(file) ?? 0) + dt);
  }
  void idle;
  const pct = (us: number): number => (total > 0 ? (us / total) * 100 : 0);
  const top = [...byFn.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ functionName: e.functionName, location: e.location, selfMs: e.us / 1000, selfPct: pct(e.us) }));
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([f, us]) => ({ functionName: '', location: f, selfMs: us / 1000, selfPct: pct(us) }));
  return { totalMs: total / 1000, top, byFile: files };
}
