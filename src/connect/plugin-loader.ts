/**
 * Loads Connect plug-ins written in JavaScript into a PluginRegistry: from the worker's
 * `plugin.path` (a comma-separated list of directories) and from `plugin.packages` (npm package
 * names, resolved from the worker's working directory, then as Samsa's own imports).
 *
 * Kafka's rules kept (plugin.path): every entry is a top-level directory whose children are
 * plug-ins, each a module file (.js, .mjs, .cjs: Kafka's uber-jar) or a directory (an npm-style
 * package: package.json "exports" / "main", else index.js: Kafka's directory of jars); a plug-in
 * that fails to load is logged and skipped, the others load; a name already known is not
 * replaced. A module's exports (named, default, arrays of them) are plug-ins by their shape:
 * ConnectorPlugin (type "source" or "sink", taskConfigs), TransformPlugin (type
 * "transformation", create), PredicatePlugin (type "predicate") and ConverterPlugin (type
 * "converter"), answering to their className and aliases. Samsa's deviations: no class-loader
 * isolation (every plug-in shares the worker's module graph); `plugin.packages` has no Kafka
 * equivalent; node_modules and dot-directories under a plugin.path entry are skipped.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectorPlugin } from './api.js';
import type { ConverterPlugin, PluginRegistry, PredicatePlugin, TransformPlugin } from './plugins.js';

const MODULE_EXT = /\.(m|c)?js$/;

type Loaded = ConnectorPlugin | TransformPlugin | PredicatePlugin | ConverterPlugin;

function isPlugin(v: unknown): v is Loaded {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (typeof o['className'] !== 'string') return false;
  if (o['type'] === 'source' || o['type'] === 'sink') return typeof o['taskConfigs'] === 'function';
  return (o['type'] === 'transformation' || o['type'] === 'predicate' || o['type'] === 'converter') && typeof o['create'] === 'function';
}

/** The plug-ins among a module's exports (named, default, and arrays of them, one level deep). */
function pluginsOf(mod: Record<string, unknown>): Loaded[] {
  const out: Loaded[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (isPlugin(v)) {
      if (!out.includes(v)) out.push(v);
    } else if (Array.isArray(v) && depth < 2) for (const x of v) visit(x, depth + 1);
    else if (v !== null && typeof v === 'object' && depth < 1) for (const x of Object.values(v)) visit(x, depth + 1);
  };
  for (const [k, v] of Object.entries(mod)) visit(v, k === 'default' ? 0 : 1);
  return out;
}

/** The entry module of an npm-style package directory. */
function packageEntry(dir: string): string | null {
  const pkgFile = join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: unknown; main?: unknown };
    let e: unknown = pkg.exports;
    if (e !== null && typeof e === 'object' && !Array.isArray(e) && '.' in e) e = (e as Record<string, unknown>)['.'];
    if (e !== null && typeof e === 'object' && !Array.isArray(e)) e = (e as Record<string, unknown>)['import'] ?? (e as Record<string, unknown>)['default'] ?? (e as Record<string, unknown>)['require'];
    if (typeof e === 'string') return join(dir, e);
    if (typeof pkg.main === 'string') return join(dir, pkg.main);
  }
  for (const f of ['index.js', 'index.mjs', 'index.cjs']) if (existsSync(join(dir, f))) return join(dir, f);
  return null;
}

export interface LoadReport {
  loaded: string[];
  failed: { source: string; error: string }[];
}

function add(registry: PluginRegistry, p: Loaded, report: LoadReport, source: string): void {
  const known = p.type === 'source' || p.type === 'sink' ? registry.find(p.className) : p.type === 'transformation' ? registry.transform(p.className) : p.type === 'predicate' ? registry.predicate(p.className) : registry.converter(p.className);
  if (known) {
    report.failed.push({ source, error: `${p.className} is already known: kept the first` });
    return;
  }
  switch (p.type) {
    case 'transformation':
      registry.transforms.push(p);
      break;
    case 'predicate':
      registry.predicates.push(p);
      break;
    case 'converter':
      registry.converters.push(p);
      break;
    default:
      registry.register({ ...p, aliases: p.aliases ?? [] });
  }
  report.loaded.push(p.className);
}

async function loadModule(registry: PluginRegistry, file: string, report: LoadReport, source: string): Promise<void> {
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const found = pluginsOf(mod);
    if (found.length === 0) throw new Error('the module exports no connector, transformation, predicate or converter');
    for (const p of found) add(registry, p, report, source);
  } catch (e) {
    report.failed.push({ source, error: e instanceof Error ? e.message : String(e) });
  }
}

/** Loads every plug-in under the `plugin.path` directories and the `plugin.packages` names. */
export async function loadPlugins(registry: PluginRegistry, pluginPath: string | undefined, packages: string | undefined, cwd: string = process.cwd()): Promise<LoadReport> {
  const report: LoadReport = { loaded: [], failed: [] };
  const entries = (pluginPath ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const top of entries) {
    const dir = resolve(cwd, top);
    let children: string[];
    try {
      children = readdirSync(dir).sort();
    } catch (e) {
      report.failed.push({ source: dir, error: `plugin.path entry is not a readable directory: ${(e as Error).message}` });
      continue;
    }
    for (const name of children) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isFile() && MODULE_EXT.test(name)) await loadModule(registry, p, report, p);
      else if (st.isDirectory()) {
        const entry = packageEntry(p);
        if (entry === null) report.failed.push({ source: p, error: 'no package.json entry point and no index.js' });
        else await loadModule(registry, entry, report, p);
      }
    }
  }
  const req = createRequire(join(resolve(cwd), 'package.json'));
  for (const name of (packages ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    let file: string | null = null;
    try {
      file = req.resolve(name);
    } catch {
      // not CommonJS-resolvable from the working directory: try a package directory there, then Samsa's own resolution
      const dir = join(resolve(cwd), 'node_modules', name);
      file = existsSync(dir) ? packageEntry(dir) : null;
    }
    if (file !== null) await loadModule(registry, file, report, name);
    else {
      try {
        const before = report.loaded.length;
        const found = pluginsOf((await import(name)) as Record<string, unknown>);
        for (const p of found) add(registry, p, report, name);
        if (report.loaded.length === before && found.length === 0) report.failed.push({ source: name, error: 'the package exports no plug-in' });
      } catch (e) {
        report.failed.push({ source: name, error: `cannot load package: ${(e as Error).message}` });
      }
    }
  }
  return report;
}
