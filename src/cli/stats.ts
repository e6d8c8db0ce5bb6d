/**
 * Latency histogram and throughput helpers shared by `samsa perf` and the benchmark harness.
 *
 * The histogram is log-linear (HdrHistogram-like): each power of two is split into 64 linear
 * sub-buckets, so any recorded value is reported within ~1% of its true value, in constant
 * memory, with O(1) recording.
 */

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 40;

export class LatencyHistogram {
  private readonly counts = new Float64Array((MAX_EXP + 2) * SUB);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /**
   * @param ticksPerUnit internal resolution: values are bucketed as `v * ticksPerUnit`, so the
   * default (1000) keeps three decimals of precision for small values (e.g. 0.25 ms).
   */
  constructor(private readonly ticksPerUnit = 1000) {}

  /** Records a non-negative value (any unit; callers use microseconds or milliseconds). */
  record(v: number, n = 1): void {
    if (!(v >= 0)) v = 0;
    const b = bucketOf(v * this.ticksPerUnit);
    this.counts[b] = (this.counts[b] as number) + n;
    this.count += n;
    this.sum += v * n;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(o: LatencyHistogram): void {
    if (o.ticksPerUnit !== this.ticksPerUnit) throw new RangeError('cannot merge histograms of different resolution');
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] as number) + (o.counts[i] as number);
    this.count += o.count;
    this.sum += o.sum;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The value at quantile q (0..1), e.g. 0.99. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i) / this.ticksPerUnit));
    }
    return this.max;
  }

  /** Non-empty buckets as [upper bound, count], for charts. */
  buckets(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i] as number;
      if (c > 0) out.push([valueOf(i) / this.ticksPerUnit, c]);
    }
    return out;
  }

  summary(): { count: number; mean: number; min: number; max: number; p50: number; p95: number; p99: number; p999: number } {
    return {
      count: this.count,
      mean: this.mean(),
      min: this.count ? this.min : 0,
      max: this.count ? this.max : 0,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
    };
  }
}

function bucketOf(v: number): number {
  if (v < SUB) return Math.floor(v);
  const exp = Math.min(MAX_EXP, Math.floor(Math.log2(v)) - SUB_BITS);
  const sub = Math.min(SUB - 1, Math.floor(v / 2 ** exp) - SUB);
  return (exp + 1) * SUB + sub;
}

/** Value represented by a bucket (the middle of its range). */
function valueOf(i: number): number {
  if (i < SUB) return i;
  const exp = Math.floor(i / SUB) - 1;
  const sub = i % SUB;
  return (sub + SUB + 0.5) * 2 ** exp;
}

/** Formats a number with a fixed number of decimals and thousands separators. */
export function fmt(n: number, decimals = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A single status line that rewrites itself on a TTY and stays silent otherwise. */
export class ProgressLine {
  private last = '';
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly enabled = stream.isTTY === true) {}

  update(text: string): void {
    if (!this.enabled) return;
    const pad = this.last.length > text.length ? ' '.repeat(this.last.length - text.length) : '';
    this.stream.write(`\r${text}${pad}`);
    this.last = text;
  }

  done(): void {
    if (this.enabled && this.last) this.stream.write(`\r${' '.repeat(this.last.length)}\r`);
    this.last = '';
  }
}
