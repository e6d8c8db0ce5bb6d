/**
 * The FileStream connectors (Kafka's connect-file module): FileStreamSource reads a text file line
 * by line into `topic`, one record per line (string value, no key), and FileStreamSink appends
 * each record's value as a line to `file`.
 *
 * Kafka's rules kept: class names org.apache.kafka.connect.file.FileStreamSourceConnector /
 * FileStreamSinkConnector and their short aliases; settings `file`, `topic` (source), `topics`
 * (sink), `batch.size` (source, default 2000); one source task whatever `tasks.max`; the source
 * offset is {"position": <bytes read>} for the partition {"filename": <file>}, so a restarted
 * task resumes after the last committed line; a line is emitted only once its newline is read.
 * Samsa's deviations: no stdin source (a `file` is required); the sink fsyncs on flush.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ConfigError, type ConnectRecord, type ConnectorPlugin, type SinkTask, type SourceTask, type TaskConfig, type TaskContext } from './api.js';

const MAX_LINE_BYTES = 1024 * 1024;

class FileSourceTask implements SourceTask {
  private fh: FileHandle | null = null;
  private file = '';
  private topic = '';
  private batchSize = 2000;
  private position = 0;
  private pending = Buffer.alloc(0);
  private readonly chunk = Buffer.alloc(64 * 1024);

  async start(config: TaskConfig, context: TaskContext): Promise<void> {
    this.file = config['file'] ?? '';
    this.topic = config['topic'] ?? '';
    this.batchSize = Number(config['batch.size'] ?? '2000');
    const committed = context.offset({ filename: this.file });
    const pos = committed?.['position'];
    this.position = typeof pos === 'number' && pos >= 0 ? pos : 0;
  }

  async poll(): Promise<ConnectRecord[]> {
    if (this.fh === null) {
      try {
        this.fh = await open(this.file, 'r');
      } catch {
        return []; // Kafka's task waits for the file to appear
      }
    }
    const out: ConnectRecord[] = [];
    let readAt = this.position + this.pending.length;
    while (out.length < this.batchSize) {
      let nl = this.pending.indexOf(0x0a);
      if (nl < 0) {
        const { bytesRead } = await this.fh.read(this.chunk, 0, this.chunk.length, readAt);
        if (bytesRead === 0) break;
        readAt += bytesRead;
        this.pending = Buffer.concat([this.pending, this.chunk.subarray(0, bytesRead)]);
        if (this.pending.length > MAX_LINE_BYTES && this.pending.indexOf(0x0a) < 0) throw new Error(`a line of ${this.file} at byte ${this.position} is longer than ${MAX_LINE_BYTES} bytes`);
        continue;
      }
      let line = this.pending.subarray(0, nl);
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      this.position += nl + 1;
      this.pending = this.pending.subarray(nl + 1);
      nl = -1;
      out.push({ topic: this.topic, kafkaPartition: null, key: null, keySchema: null, value: line.toString('utf8'), valueSchema: { type: 'string' }, timestamp: null, headers: [], sourcePartition: { filename: this.file }, sourceOffset: { position: this.position } });
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }
}

class FileSinkTask implements SinkTask {
  private fh: FileHandle | null = null;

  async start(config: TaskConfig): Promise<void> {
    const file = config['file'];
    if (!file) throw new ConfigError('Missing required configuration "file" which has no default value.');
    this.fh = await open(file, 'a');
  }

  async put(records: ConnectRecord[]): Promise<void> {
    if (records.length === 0 || this.fh === null) return;
    const text = records.map((r) => `${typeof r.value === 'string' ? r.value : Buffer.isBuffer(r.value) ? r.value.toString('utf8') : JSON.stringify(r.value)}\n`).join('');
    await this.fh.appendFile(text, 'utf8');
  }

  async flush(): Promise<void> {
    await this.fh?.sync();
  }

  async stop(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }
}

export const fileStreamSource: ConnectorPlugin = {
  className: 'org.apache.kafka.connect.file.FileStreamSourceConnector',
  aliases: ['FileStreamSource', 'FileStreamSourceConnector'],
  type: 'source',
  version: '1.0.0',
  config: [
    { name: 'file', type: 'STRING', required: true, documentation: 'Source filename.' },
    { name: 'topic', type: 'LIST', required: true, documentation: 'The topic to publish data to' },
    { name: 'batch.size', type: 'INT', required: false, defaultValue: '2000', documentation: 'The maximum number of records the source task can read from the file each time it is polled' },
  ],
  taskConfigs(config) {
    const topic = config['topic'];
    if (!topic || topic.includes(',')) throw new ConfigError("'topic' in FileStreamSourceConnector configuration requires definition of a single topic.");
    if (!config['file']) throw new ConfigError('Missing required configuration "file" which has no default value.');
    return [{ file: config['file'], topic, 'batch.size': config['batch.size'] ?? '2000' }];
  },
  createSourceTask: () => new FileSourceTask(),
  // Kafka's FileStreamSourceConnector declares SUPPORTED for a file (its offsets are byte positions).
  exactlyOnceSupport: 'SUPPORTED',
};

export const fileStreamSink: ConnectorPlugin = {
  className: 'org.apache.kafka.connect.file.FileStreamSinkConnector',
  aliases: ['FileStreamSink', 'FileStreamSinkConnector'],
  type: 'sink',
  version: '1.0.0',
  config: [{ name: 'file', type: 'STRING', required: true, documentation: 'Destination filename.' }],
  taskConfigs(config, maxTasks) {
    if (!config['file']) throw new ConfigError('Missing required configuration "file" which has no default value.');
    return Array.from({ length: Math.max(1, maxTasks) }, () => ({ file: config['file'] ?? '' }));
  },
  createSinkTask: () => new FileSinkTask(),
};
