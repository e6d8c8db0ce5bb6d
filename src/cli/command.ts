/**
 * The frame every protocol-client command shares: parse the options, print help, open one
 * connection to the cluster, run, and turn any failure into a one-line error with a hint and an
 * exit code (never a stack trace, unless SAMSA_DEBUG is set).
 */
import type { KafkaConnection } from '../client/connection.js';
import { parseArgs, type OptionSpec, type ParsedArgs } from './args.js';
import { connectionSettings, DEFAULT_BOOTSTRAP, openConnection, type ConnectionSettings } from './client.js';
import { CliError, reportError } from './output.js';

/** What a command may adjust in the shared frame. */
export interface CommandOptions {
  /** Positional arguments the command takes (default 0: any is an error). */
  readonly positional?: number;
  /** The hint printed for an unexpected positional argument (default: see --help). */
  readonly unexpectedHint?: string;
}

/** Parses the options, prints help, resolves the connection settings and runs; any failure becomes a one-line error. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: readonly OptionSpec[],
  usage: string,
  run: (a: ParsedArgs, s: ConnectionSettings) => Promise<number>,
  opts: CommandOptions = {},
): Promise<number> {
  let settings: ConnectionSettings | undefined;
  try {
    const a = parseArgs(command, args, options);
    if (a.has('help')) {
      process.stdout.write(usage);
      return 0;
    }
    if (a.positional.length > (opts.positional ?? 0)) throw new CliError(`Unexpected argument '${a.positional[opts.positional ?? 0]}'.`, opts.unexpectedHint ?? `Run '${command} --help' for usage.`);
    settings = connectionSettings(a);
    return await run(a, settings);
  } catch (e) {
    return reportError(command, e, settings ? { bootstrap: settings.bootstrap.join(',') } : {});
  }
}

/** runCommand with one connection to the cluster open while `run` runs. */
export async function runConnected(
  command: string,
  args: readonly string[],
  options: readonly OptionSpec[],
  usage: string,
  run: (a: ParsedArgs, conn: KafkaConnection, s: ConnectionSettings) => Promise<number>,
  opts: CommandOptions = {},
): Promise<number> {
  return runCommand(
    command,
    args,
    options,
    usage,
    async (a, settings) => {
      const conn = await openConnection(settings);
      try {
        return await run(a, conn, settings);
      } finally {
        conn.close();
      }
    },
    opts,
  );
}

/**
 * The frame of a command that resolves its own connection settings: parse the options, print
 * help, run; a failure becomes a one-line error naming the --bootstrap-server given.
 */
export async function runParsed(command: string, args: readonly string[], options: readonly OptionSpec[], usage: string, run: (a: ParsedArgs) => Promise<number>): Promise<number> {
  let a: ParsedArgs;
  try {
    a = parseArgs(command, args, options);
  } catch (e) {
    return reportError(command, e);
  }
  if (a.has('help')) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    return await run(a);
  } catch (e) {
    return reportError(command, e, { bootstrap: a.get('bootstrap-server') ?? DEFAULT_BOOTSTRAP });
  }
}
