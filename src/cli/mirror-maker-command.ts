/**
 * `samsa mirror-maker [--config] mm2.properties [--clusters B]` (also `samsa mirror`): MirrorMaker
 * 2's dedicated mode, as Kafka's connect-mirror-maker.sh: every enabled flow `A->B` of the file
 * runs MirrorSource, MirrorCheckpoint and MirrorHeartbeat (src/connect/mirror/mirror-maker.ts) in
 * the foreground until SIGINT/SIGTERM, printing "MirrorMaker running: A->B" once started.
 */
import { readFileSync } from 'node:fs';
import { parseProperties } from '../connect/properties.js';
import { MirrorMaker } from '../connect/mirror/mirror-maker.js';
import { formatOptions, type OptionSpec } from './args.js';
import { runParsed } from './command.js';
import { CliError, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  { name: 'config', arg: 'FILE', help: 'The MirrorMaker properties file (clusters, A.bootstrap.servers, A->B.enabled, ...)' },
  { name: 'clusters', arg: 'ALIAS[,..]', repeat: true, help: 'Run only the flows into these target clusters' },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = `Usage: samsa mirror-maker [--config] mm2.properties [--clusters ALIAS]

Runs MirrorMaker 2 (MirrorSource, MirrorCheckpoint, MirrorHeartbeat) for every enabled flow of
the file, as Kafka's connect-mirror-maker.sh (docs/connect.md, "Mirroring between clusters").

Options:
${formatOptions(options)}
`;

export function runMirrorMaker(args: string[]): Promise<number> {
  return runParsed('samsa mirror-maker', args, options, usage, async (a) => {
    const file = a.get('config') ?? a.positional[0];
    if (file === undefined) throw new CliError('A MirrorMaker properties file is required.', 'Usage: samsa mirror-maker --config mm2.properties');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read ${file}: ${(e as Error).message}.`, 'Pass the path of a MirrorMaker properties file.');
    }
    const clusters = a.all('clusters').flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
    let mm: MirrorMaker;
    try {
      mm = await MirrorMaker.start(parseProperties(text), clusters.length > 0 ? { clusters } : {});
    } catch (e) {
      throw new CliError(`MirrorMaker did not start: ${(e as Error).message}`, 'Check the clusters, their bootstrap.servers and the A->B.enabled flows of the file.');
    }
    writeOut(`MirrorMaker running: ${mm.flows.map((f) => `${f.source}->${f.target}`).join(', ')}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await mm.close();
    return 0;
  });
}
