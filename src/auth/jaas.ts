/**
 * Kafka's JAAS config text (`sasl.jaas.config` values): one or more
 * `<LoginModule class> <required|requisite|sufficient|optional> key="value" ... ;` entries.
 * Values are double-quoted (backslash escapes the next character) or bare words.
 * PLAIN's broker users are the `user_<name>="<password>"` options of PlainLoginModule.
 */
import { ConfigError } from '../common/errors.js';

export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);
export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

/** Parses the text; throws ConfigError (naming `key`) when it is malformed. */
export function parseJaasConfig(key: string, text: string): JaasEntry[] {
  const fail = (why: string): never => {
    throw new ConfigError(key, `Invalid value for configuration ${key}: ${why}`);
  };
  const entries: JaasEntry[] = [];
  let i = 0;
  const space = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const word = (): string => {
    const start = i;
    while (i < text.length && /[^\s=;"]/.test(text[i] as string)) i++;
    return text.slice(start, i);
  };
  space();
  while (i < text.length) {
    const loginModule = word();
    if (loginModule === '') fail(`expected a login module class at '${text.slice(i, i + 20)}'`);
    space();
    const flag = word();
    if (!FLAGS.has(flag)) fail(`expected a control flag (required, requisite, sufficient, optional) after ${loginModule}, got '${flag}'`);
    const options = new Map<string, string>();
    for (;;) {
      space();
      if (i >= text.length) fail(`missing ';' after the options of ${loginModule}`);
      if (text[i] === ';') {
        i++;
        break;
      }
      const name = word();
      space();
      if (name === '' || text[i] !== '=') fail(`expected key=value in the options of ${loginModule} at '${text.slice(i, i + 20)}'`);
      i++;
      space();
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i++];
        }
        if (i >= text.length) fail(`unterminated quoted value of ${name}`);
        i++;
      } else {
        value = word();
      }
      options.set(name, value);
    }
    entries.push({ loginModule, flag, options });
    space();
  }
  if (entries.length === 0) fail('no login module');
  return entries;
}

/** PLAIN's users (name → password) from PlainLoginModule's `user_<name>` options. */
export function plainUsersOf(entries: readonly JaasEntry[], key: string): Map<string, string> {
  const plain = entries.find((e) => e.loginModule === PLAIN_LOGIN_MODULE);
  if (plain === undefined) throw new ConfigError(key, `Invalid value for configuration ${key}: PLAIN needs ${PLAIN_LOGIN_MODULE}`);
  const users = new Map<string, string>();
  for (const [k, v] of plain.options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  return users;
}
