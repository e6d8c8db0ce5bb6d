/** A setting that is unknown or has an invalid value; `key` names it. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
    this.key = key;
  }
}
