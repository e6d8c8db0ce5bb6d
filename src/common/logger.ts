/** Minimal leveled logger writing to stderr; level from SAMSA_LOG_LEVEL (error|warn|info|debug). */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;

function currentLevel(): number {
  const env = process.env['SAMSA_LOG_LEVEL'];
  return env !== undefined && env in LEVELS ? LEVELS[env as Level] : LEVELS.info;
}

let threshold = currentLevel();

export function setLogLevel(level: Level): void {
  threshold = LEVELS[level];
}

function emit(level: Level, msg: string, err?: unknown): void {
  if (LEVELS[level] > threshold) return;
  const line = `[${new Date().toISOString()}] ${level.toUpperCase()} ${msg}`;
  process.stderr.write(err === undefined ? `${line}\n` : `${line}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

export const log = {
  error: (msg: string, err?: unknown) => emit('error', msg, err),
  warn: (msg: string, err?: unknown) => emit('warn', msg, err),
  info: (msg: string) => emit('info', msg),
  debug: (msg: string) => emit('debug', msg),
  enabled: (level: Level) => LEVELS[level] <= threshold,
};
