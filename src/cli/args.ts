/**
 * A small, strict command-line option parser for the `samsa` client commands.
 *
 * Options are declared up front (name, aliases, whether they take a value, whether they repeat);
 * `--name value` and `--name=value` are both accepted. Anything undeclared is an error that names
 * the option and points at `--help`, so typos never pass silently.
 */
import { CliError } from './output.js';

export interface OptionSpec {
  /** Long name without dashes, e.g. 'bootstrap-server'. */
  readonly name: string;
  /** Other spellings, with dashes: ['-b', '--broker-list']. */
  readonly aliases?: readonly string[];
  /** Takes a value (default true). */
  readonly value?: boolean;
  /** May be given several times; values are collected in order. */
  readonly repeat?: boolean;
  /** Shown in help. */
  readonly help: string;
  /** Placeholder for the value in help, e.g. 'N'. */
  readonly arg?: string;
  /** Default value shown in help (and returned by get()). */
  readonly default?: string;
}

export class ParsedArgs {
  constructor(
    readonly command: string,
    private readonly values: Map<string, string[]>,
    private readonly flags: Set<string>,
    private readonly specs: Map<string, OptionSpec>,
    readonly positional: string[],
  ) {}

  has(name: string): boolean {
    return this.flags.has(name) || this.values.has(name);
  }

  /** Last value given for an option, or its declared default. */
  get(name: string): string | undefined {
    const v = this.values.get(name);
    if (v !== undefined && v.length > 0) return v[v.length - 1];
    return this.specs.get(name)?.default;
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  require(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new CliError(`Missing required option --${name}.`, `Run '${this.command} --help' for usage.`);
    return v;
  }

  /** An integer option within [min, max]. */
  int(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw new CliError(`--${name} expects an integer, got '${v}'.`);
    const n = Number(v);
    if (n < min || n > max) throw new CliError(`--${name} must be between ${min} and ${max}, got ${n}.`);
    return n;
  }

  /** A non-negative number option (decimals allowed), e.g. a rate. */
  number(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || v.trim() === '') throw new CliError(`--${name} expects a number, got '${v}'.`);
    return n;
  }

  /** key=value pairs from a repeatable option, e.g. --config retention.ms=1000. */
  pairs(name: string): [string, string][] {
    return this.all(name).map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new CliError(`--${name} expects key=value, got '${kv}'.`, `Example: --${name} retention.ms=86400000`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
  }
}

export function parseArgs(command: string, args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map<string, OptionSpec>();
  const lookup = new Map<string, OptionSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    lookup.set(`--${s.name}`, s);
    for (const a of s.aliases ?? []) lookup.set(a, s);
  }
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const raw = args[i] as string;
    if (raw === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!raw.startsWith('-') || raw === '-') {
      positional.push(raw);
      continue;
    }
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const key = eq > 0 ? raw.slice(0, eq) : raw;
    const spec = lookup.get(key);
    if (spec === undefined) {
      const guess = closest(key, [...lookup.keys()]);
      throw new CliError(`Unknown option '${key}'.`, `${guess ? `Did you mean '${guess}'? ` : ''}Run '${command} --help' for the list of options.`);
    }
    if (spec.value === false) {
      if (eq > 0) throw new CliError(`Option --${spec.name} takes no value.`);
      flags.add(spec.name);
      continue;
    }
    let v: string;
    if (eq > 0) v = raw.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined) throw new CliError(`Option ${key} needs a value${spec.arg ? ` (${spec.arg})` : ''}.`, `Run '${command} --help' for usage.`);
      v = next;
      i++;
    }
    const list = values.get(spec.name);
    if (list && spec.repeat) list.push(v);
    else values.set(spec.name, [v]);
  }
  return new ParsedArgs(command, values, flags, byName, positional);
}

/** Renders the options section of a help text. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = [...(s.aliases ?? []).filter((a) => a.length === 2), `--${s.name}`].join(', ');
    const left = s.value === false ? names : `${names} ${s.arg ?? 'VALUE'}`;
    const right = s.default !== undefined ? `${s.help} (default: ${s.default})` : s.help;
    return [left, right] as const;
  });
  const width = Math.min(38, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`)).join('\n');
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}
