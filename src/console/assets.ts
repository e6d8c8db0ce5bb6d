/**
 * The console's browser files: its own UI modules (src/console/ui, served from the package's
 * source tree, which package.json ships) and the vendored libraries resolved from node_modules at
 * runtime (preact, preact/hooks, htm, uPlot), so `npm install` + `samsa console` needs no build
 * step. Only files listed at start-up are served (no path from a URL reaches the file system),
 * and the app shell carries an import map whose hash the Content-Security-Policy allows.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** src/console/ui of the package: beside this file in the source tree, or from dist/src/console. */
export function uiDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const d of [join(here, 'ui'), join(here, '..', '..', '..', 'src', 'console', 'ui')]) {
    try {
      if (statSync(join(d, 'app.js')).isFile()) return d;
    } catch {
      // not this one
    }
  }
  throw new Error(`the console's UI files (src/console/ui) are missing next to ${here}`);
}

function vendorFile(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

/** Every file the console serves, by URL path. */
export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const dir = uiDir();
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else if (TYPES[extname(e.name)] !== undefined) out.set(`/ui/${prefix}${e.name}`, { body: readFileSync(join(d, e.name)), type: TYPES[extname(e.name)] as string });
    }
  };
  walk(dir, '');
  const uplotDir = dirname(vendorFile('uplot'));
  const vendor: [string, string][] = [
    ['/vendor/preact.mjs', vendorFile('preact')],
    ['/vendor/preact-hooks.mjs', vendorFile('preact/hooks')],
    ['/vendor/htm.mjs', vendorFile('htm')],
    ['/vendor/uplot.mjs', join(uplotDir, 'uPlot.esm.js')],
    ['/vendor/uplot.css', join(uplotDir, 'uPlot.min.css')],
  ];
  for (const [url, file] of vendor) out.set(url, { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' });
  return out;
}

const IMPORT_MAP = JSON.stringify({ imports: { preact: '/vendor/preact.mjs', 'preact/hooks': '/vendor/preact-hooks.mjs', htm: '/vendor/htm.mjs', uplot: '/vendor/uplot.mjs' } });

/** The HTML every page path answers, and the Content-Security-Policy that goes with it. */
export function appShell(assets: ReadonlyMap<string, Asset>): { html: string; csp: string } {
  const hash = createHash('sha256').update(IMPORT_MAP).digest('base64');
  // Every module at once, instead of one import level after another.
  const preload = [...assets.keys()].filter((u) => (u.endsWith('.js') || u.endsWith('.mjs')) && u !== '/ui/app.js').map((u) => `<link rel="modulepreload" href="${u}">`).join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Samsa console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/uplot.css">
<link rel="stylesheet" href="/ui/style.css">
<script type="importmap">${IMPORT_MAP}</script>
${preload}
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<div id="app"><noscript>The Samsa console needs JavaScript.</noscript></div>
</body>
</html>
`;
  const csp = `default-src 'self'; script-src 'self' 'sha256-${hash}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;
  return { html, csp };
}
