/**
 * Typed internal (non-protocol) errors. Each accepts an optional `cause` so the original failure
 * (an fs error, a decode error, ...) stays attached for logging.
 */

export interface ErrorOptions {
  cause?: unknown;
}

function superOptions(options?: ErrorOptions): { cause: unknown } | undefined {
  return options !== undefined && 'cause' in options ? { cause: options.cause } : undefined;
}

/** A record or batch read from disk or the network failed structural validation. */
export class CorruptRecordError extends Error {
  /** Byte position of the offending batch/record within the buffer or file, when known. */
  readonly position: number | undefined;

  constructor(message: string, options?: ErrorOptions & { position?: number }) {
    super(message, superOptions(options));
    this.name = 'CorruptRecordError';
    this.position = options?.position;
  }
}

/** An offset/time index file is inconsistent with itself or its segment; it should be rebuilt. */
export class CorruptIndexError extends Error {
  /** Path of the index file, when known. */
  readonly file: string | undefined;

  constructor(message: string, options?: ErrorOptions & { file?: string }) {
    super(message, superOptions(options));
    this.name = 'CorruptIndexError';
    this.file = options?.file;
  }
}

/** An I/O failure that takes a whole log directory offline. */
export class LogDirFailureError extends Error {
  readonly logDir: string;

  constructor(logDir: string, message?: string, options?: ErrorOptions) {
    super(message ?? `log directory ${logDir} failed`, superOptions(options));
    this.name = 'LogDirFailureError';
    this.logDir = logDir;
  }
}

/** A configuration value is missing, malformed or out of range. `key` names the setting. */
export class ConfigError extends Error {
  readonly key: string;

  constructor(key: string, message?: string, options?: ErrorOptions) {
    super(message ?? `invalid value for configuration ${key}`, superOptions(options));
    this.name = 'ConfigError';
    this.key = key;
  }
}
