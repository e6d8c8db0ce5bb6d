/**
 * `samsa connect --bootstrap-server h:p [--port 8083] [--group-id connect-cluster]
 * [worker.properties]`: a distributed Kafka Connect worker (src/connect/); and
 * `samsa connect-standalone worker.properties connector.properties...`: a standalone worker
 * running the given connectors, its source offsets in offset.storage.file.filename. Both run in
 * the foreground until SIGINT/SIGTERM and print "Connect worker listening on http://h:p".
 */
import { readFileSync } from 'node:fs';
import { parseProperties, readConnectorFile } from '../connect/properties.js';
import { ConnectWorker } from '../connect/worker.js';
import { formatOptions, type OptionSpec } from './args.js';
import { connectionOptions, connectionSettings } from './client.js';
import { runParsed } from './command.js';
import { CliError, writeOut } from './output.js';

const options: readonly OptionSpec[] = [
  ...connectionOptions.filter((o) => o.name !== 'timeout'),
  { name: 'host', arg: 'HOST', help: 'Address of the REST API', default: '127.0.0.1' },
  { name: 'port', arg: 'PORT', help: 'REST API port (0: any free port)', default: '8083' },
  { name: 'group-id', arg: 'ID', help: 'Connect cluster group (group.id)' },
  { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' },
];

const usage = (cmd: string): string => `Usage: samsa ${cmd === 'connect' ? 'connect --bootstrap-server HOST:PORT [--port 8083] [--group-id connect-cluster] [worker.properties]' : 'connect-standalone worker.properties connector.properties...'}

Runs a Kafka Connect worker with Connect's REST API (docs/connect.md).

Options:
${formatOptions(options)}
`;

export function runConnect(args: string[], mode: 'standalone' | 'distributed'): Promise<number> {
  const cmd = mode === 'standalone' ? 'connect-standalone' : 'connect';
  return runParsed(`samsa ${cmd}`, args, options, usage(cmd), async (a) => {
    const [workerFile, ...connectorFiles] = a.positional;
    if (mode === 'standalone' && workerFile === undefined) throw new CliError('A worker.properties file is required.', `Usage: samsa connect-standalone worker.properties connector.properties...`);
    const wc = workerFile === undefined ? {} : parseProperties(readFileSync(workerFile, 'utf8'));
    const groupId = a.get('group-id');
    if (groupId !== undefined) wc['group.id'] = groupId;
    const bootstrap = a.has('bootstrap-server') || wc['bootstrap.servers'] === undefined ? connectionSettings(a).bootstrap : wc['bootstrap.servers'].split(',').map((s) => s.trim());
    let port = a.int('port', 0, 65535) ?? 8083;
    let host = a.get('host') ?? '127.0.0.1';
    const listener = /^https?:\/\/([^:/]*):(\d+)/.exec((wc['listeners'] ?? '').split(',')[0] ?? '');
    if (!a.has('port') && listener) {
      port = Number(listener[2]);
      if (!a.has('host') && listener[1]) host = listener[1];
    }
    const worker = await ConnectWorker.start({ mode, bootstrap, workerConfig: wc, host, port });
    writeOut(`Connect worker listening on ${worker.url}\n`);
    for (const f of connectorFiles) {
      const { name, config } = readConnectorFile(f);
      await worker.herder.o.configs.putConnectorConfig(name, config);
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await worker.close();
    return 0;
  });
}
