/**
 * Browser tests of the web console: a real broker (in-process, free port) serving the console
 * from console.listeners, and Debian's Chromium driven by playwright-core. Everything a test
 * starts is stopped by the returned fixture's close(). Screenshots go to docs/console/ when
 * SAMSA_UPDATE_SCREENSHOTS=1, else to a temporary directory (removed at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { CLI } from '../helpers/broker-process.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface ConsoleBroker {
  broker: RunningBroker;
  url: string;
  stop(): Promise<void>;
}

export async function startConsoleBroker(config: Record<string, string | number> = {}): Promise<ConsoleBroker> {
  const broker = await startBroker({ port: 0, config: { 'console.listeners': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': 0, ...config }, logger: { level: 'warn' } });
  const running = broker.broker.console;
  if (!running) {
    await broker.stop();
    throw new Error('the broker did not start its console');
  }
  return { broker, url: running.url, stop: () => broker.stop() };
}

/** Where screenshots go: docs/console/ (SAMSA_UPDATE_SCREENSHOTS=1) or a temp dir removed by cleanup(). */
export function screenshotDir(): { dir: string; cleanup(): void } {
  if (process.env['SAMSA_UPDATE_SCREENSHOTS'] === '1') {
    const dir = join(process.cwd(), 'docs', 'console');
    mkdirSync(dir, { recursive: true });
    return { dir, cleanup: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'samsa-console-shots-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A page with console errors and uncaught exceptions collected (a test asserts there are none). */
export async function newPage(browser: Browser, width = 1280, height = 800): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(20_000);
  return { page, errors };
}

export interface ConsoleBrowserSuite {
  /** The broker serving the console (after the file's before hook). */
  readonly cb: ConsoleBroker;
  readonly browser: Browser;
  /** Where the file's screenshots go (screenshotDir()). */
  readonly shotsDir: string;
}

/**
 * Registers the test file's before/after hooks: a console broker started with `config`, Chromium
 * and the screenshot directory; after the tests the browser is closed, the broker stopped and a
 * temporary screenshot directory removed.
 */
export function consoleBrowserSuite(config: Record<string, string | number> = {}): ConsoleBrowserSuite {
  let cb: ConsoleBroker | undefined;
  let browser: Browser | undefined;
  const shots = screenshotDir();
  before(async () => {
    cb = await startConsoleBroker(config);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await cb?.stop();
    shots.cleanup();
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the ${what} is not started (used outside a test?)`);
    return v;
  };
  return {
    get cb() {
      return started(cb, 'console broker');
    },
    get browser() {
      return started(browser, 'browser');
    },
    shotsDir: shots.dir,
  };
}

/** Starts `samsa console --port 0 ...args` as a child process (pushed to `children`, which the caller kills); resolves with its URL. */
export async function startConsoleProcess(args: string[], children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'console', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const url = /Samsa console on (http:\/\/\S+) /.exec(out)?.[1];
    if (url !== undefined) return url;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`samsa console did not start: ${out}`);
}
