#!/usr/bin/env node
/** The `samsa` command line. */
import { runStart } from './start-command.js';

const usage = `Usage: samsa <command> [options]

Commands:
  start      Start a broker (samsa start --help)
  groups     List and describe consumer groups (samsa groups --help)
  configs    Describe and alter topic and broker configs (samsa configs --help)
  topics     List, create, describe, delete topics and add partitions
  produce    Produce records read from standard input
  consume    Print records from a topic
  perf       Producer and consumer load tests (samsa perf produce|consume)

Run 'samsa <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      return runStart(rest);
    case 'groups':
      return (await import('./groups-command.js')).runGroups(rest);
    case 'configs':
      return (await import('./configs-command.js')).runConfigs(rest);
    case 'topics':
      // Client commands load the Kafka client library only when used (keeps 'start' fast).
      return (await import('./topics-command.js')).runTopics(rest);
    case 'produce':
      return (await import('./produce-command.js')).runProduce(rest);
    case 'consume':
      return (await import('./consume-command.js')).runConsume(rest);
    case 'perf':
      return (await import('./perf-command.js')).runPerf(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage);
      return cmd === undefined ? 1 : 0;
    default:
      process.stderr.write(`samsa: unknown command '${cmd}'\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`samsa: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
