#!/usr/bin/env node
/** The `samsa` command line. */
import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { bundledEntry } from './bundled-entry.js';
import type * as StartCommand from './start-command.js';

// Node's on-disk compile cache (Node >= 22.1; in the OS temp dir, or NODE_COMPILE_CACHE): later
// runs skip parsing and compiling the ~400 modules a broker loads (start-up time). Commands load
// their modules below, after it is on. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as in Node.
const enableCompileCache: unknown = Reflect.get(nodeModule, 'enableCompileCache');
if (typeof enableCompileCache === 'function') enableCompileCache();

const usage = `Usage: samsa <command> [options]

Commands:
  start      Start a broker (samsa start --help)
  groups     List and describe consumer groups (samsa groups --help)
  configs    Describe and alter topic and broker configs (samsa configs --help)
  topics          List, create, describe, delete topics and add partitions
  produce         Produce records read from standard input
  consume         Print records from topics
  perf            Producer and consumer load tests (samsa perf produce|consume)
  cluster         Cluster id, controller, brokers and features
  delete-records  Delete records below an offset (kafka-delete-records.sh's JSON file)
  log-dirs        Log directories and partition sizes (samsa log-dirs --describe)
  leaders         Elect partition leaders (samsa leaders elect --election-type PREFERRED|UNCLEAN)
  transactions    List, describe, describe-producers and abort transactions
  reassign        Move partition replicas between brokers (kafka-reassign-partitions.sh)
  acls            Add, remove and list ACLs (kafka-acls.sh)
  quotas          Describe and alter client quotas of users and client ids (kafka-configs.sh style)
  rest            Serve Confluent's REST Proxy API for a cluster (samsa rest --bootstrap-server h:p)
  console         Serve the web console for a cluster (samsa console --help)
  users           Add, remove and list users' SCRAM credentials (kafka-configs.sh --entity-type users)
  registry        Serve a schema registry (Confluent's REST API) on a Kafka cluster
  connect         A distributed Kafka Connect worker (samsa connect --bootstrap-server h:p)
  connect-standalone  A standalone Connect worker (worker.properties connector.properties...)
  mirror-maker    MirrorMaker 2 between clusters (samsa mirror-maker --config mm2.properties)
  streams         Reset a Streams application (samsa streams reset --application-id ID)

Run 'samsa <command> --help' for a command's options; 'samsa --version' for the version.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start': {
      // The bundled broker (scripts/bundle.mjs) when it is built and current: start-up time.
      const bundle = bundledEntry('start-command', new URL('./', import.meta.url));
      const command = (bundle === null ? await import('./start-command.js') : await import(bundle.href)) as typeof StartCommand;
      return command.runStart(rest);
    }
    case 'groups':
      return (await import('./groups-command.js')).runGroups(rest);
    case 'configs':
      return (await import('./configs-command.js')).runConfigs(rest);
    case 'topics':
      return (await import('./topics-command.js')).runTopics(rest);
    case 'produce':
      return (await import('./produce-command.js')).runProduce(rest);
    case 'consume':
      return (await import('./consume-command.js')).runConsume(rest);
    case 'perf':
      return (await import('./perf-command.js')).runPerf(rest);
    case 'cluster':
      return (await import('./cluster-command.js')).runCluster(rest);
    case 'delete-records':
      return (await import('./delete-records-command.js')).runDeleteRecords(rest);
    case 'log-dirs':
      return (await import('./log-dirs-command.js')).runLogDirs(rest);
    case 'leaders':
      return (await import('./leaders-command.js')).runLeaders(rest);
    case 'transactions':
      return (await import('./transactions-command.js')).runTransactions(rest);
    case 'reassign':
      return (await import('./reassign-command.js')).runReassign(rest);
    case 'acls':
      return (await import('./acls-command.js')).runAcls(rest);
    case 'users':
      return (await import('./users-command.js')).runUsers(rest);
    case 'quotas':
      return (await import('./quotas-command.js')).runQuotas(rest);
    case 'rest':
      return (await import('./rest-command.js')).runRest(rest);
    case 'console':
      return (await import('./console-command.js')).runConsole(rest);
    case 'registry':
      return (await import('./registry-command.js')).runRegistry(rest);
    case 'connect':
      return (await import('./connect-command.js')).runConnect(rest, 'distributed');
    case 'connect-standalone':
      return (await import('./connect-command.js')).runConnect(rest, 'standalone');
    case 'mirror-maker':
    case 'mirror':
      return (await import('./mirror-maker-command.js')).runMirrorMaker(rest);
    case 'streams':
      return (await import('./streams-command.js')).runStreams(rest);
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`${version()}\n`);
      return 0;
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

/** The package version, read from the package.json next to dist/. */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// `samsa consume ... | head -1`: the reader went away; stop quietly as Kafka's tools do on SIGPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Commands report expected failures themselves; anything else is one line (the stack with SAMSA_DEBUG).
    const text = e instanceof Error ? (process.env['SAMSA_DEBUG'] ? (e.stack ?? e.message) : e.message) : String(e);
    process.stderr.write(`samsa: error: ${text}\n`);
    process.exitCode = 1;
  },
);
