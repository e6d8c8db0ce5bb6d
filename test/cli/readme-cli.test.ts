/**
 * Issue 11 item 11 (README and install): `samsa` is installable on PATH (package.json's bin is the
 * built CLI with a node shebang), the README calls it `samsa ...` consistently with commands that
 * exist, and no README line looks like a pipeline that is not one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const readme = readFileSync('README.md', 'utf8');
const shellLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n')).filter((l) => l.trim() !== '' && !l.startsWith('#'));

test("package.json's bin puts the built CLI on PATH as samsa", () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>; files: string[] };
  assert.equal(pkg.bin['samsa'], 'dist/src/cli/samsa.js');
  assert.ok(pkg.files.includes('dist/src'));
  assert.match(readFileSync(pkg.bin['samsa'] as string, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

test('the README runs the CLI as `samsa <command>` with commands that exist, and no false pipelines', async () => {
  const help = await samsaCli(['--help']);
  assertOk(help, '--help');
  const commands = new Set([...help.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]));
  for (const line of shellLines) {
    assert.doesNotMatch(line, /node dist\/src\/cli\/samsa\.js/, `README line uses the build path instead of samsa: ${line}`);
    // Every pipeline stage is a program reading stdin, never a samsa subcommand on its own.
    const stages = line.split(/\s\|\s/).slice(1).map((s) => s.trim().split(/\s+/)[0]);
    for (const st of stages) assert.ok(st === 'samsa' || st === 'head' || st === 'jq' || st === 'grep', `README line looks like a pipeline that is not one: ${line}`);
    for (const m of line.matchAll(/(?:^|[|;&]\s*)samsa ([a-z-]+)/g)) assert.ok(commands.has(m[1] as string), `README uses an unknown command 'samsa ${m[1]}': ${line}`);
  }
  assert.ok(shellLines.some((l) => l.startsWith('samsa cluster')));
});
