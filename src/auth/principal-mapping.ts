/**
 * ssl.principal.mapping.rules: the principal name of an mTLS client from its certificate subject.
 * Kafka's rule (SslPrincipalMapper): the value is a list of rules tried in order, each
 * `RULE:pattern/replacement/` with an optional `L` or `U` (lower/upper case the result), or
 * `DEFAULT` (the distinguished name unchanged). A rule applies when its pattern matches the whole
 * DN (RFC 2253 form, most specific RDN first: `CN=alice,OU=eng,O=Example,C=US`); the first that
 * applies gives the name; none applying fails the authentication. Commas separate rules, and may
 * also appear inside a pattern (the parser reads `RULE:` up to its closing slashes).
 * Samsa: patterns are JavaScript regular expressions (Java's syntax for the usual rules:
 * groups, classes, `$1` in the replacement); the DN is built from the certificate's subject
 * attributes in reverse order, values as the certificate has them.
 */
import { ConfigError } from '../common/errors.js';

export type PrincipalRule = { readonly kind: 'default' } | { readonly kind: 'rule'; readonly pattern: RegExp; readonly replacement: string; readonly caseChange: '' | 'L' | 'U' };

/** A DN no rule applied to (Kafka's NoMatchingRule): the connection fails authentication. */
export class NoMatchingRuleError extends Error {
  constructor(dn: string) {
    super(`No rule of ssl.principal.mapping.rules applies to ${dn}`);
    this.name = 'NoMatchingRuleError';
  }
}

/** Parses the setting; throws ConfigError on a malformed rule or pattern. */
export function parsePrincipalMappingRules(text: string): PrincipalRule[] {
  const fail = (why: string): never => {
    throw new ConfigError('ssl.principal.mapping.rules', `Invalid value ${text} for configuration ssl.principal.mapping.rules: ${why}`);
  };
  const rules: PrincipalRule[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  /** Reads up to the next unescaped '/', unescaping `\/`. */
  const part = (): string => {
    let out = '';
    while (i < text.length && text[i] !== '/') {
      if (text[i] === '\\' && text[i + 1] === '/') {
        out += '/';
        i += 2;
      } else out += text[i++];
    }
    if (i >= text.length) fail(`unterminated rule near '${out}'`);
    i++;
    return out;
  };
  skipSpace();
  if (i >= text.length) return [{ kind: 'default' }];
  while (i < text.length) {
    skipSpace();
    if (text.startsWith('DEFAULT', i)) {
      rules.push({ kind: 'default' });
      i += 'DEFAULT'.length;
    } else if (text.startsWith('RULE:', i)) {
      i += 'RULE:'.length;
      const source = part();
      const replacement = part();
      let caseChange: '' | 'L' | 'U' = '';
      if (text[i] === 'L' || text[i] === 'U') caseChange = text[i++] as 'L' | 'U';
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${source})$`);
      } catch (e) {
        return fail(`bad pattern ${source}: ${e instanceof Error ? e.message : String(e)}`);
      }
      rules.push({ kind: 'rule', pattern, replacement, caseChange });
    } else {
      fail(`expected DEFAULT or RULE:pattern/replacement/[LU] at '${text.slice(i)}'`);
    }
    skipSpace();
    if (i < text.length) {
      if (text[i] !== ',') fail(`expected ',' at '${text.slice(i)}'`);
      i++;
    }
  }
  return rules;
}

/** The principal name for `dn`; throws NoMatchingRuleError when no rule applies. */
export function mapPrincipal(rules: readonly PrincipalRule[], dn: string): string {
  for (const r of rules) {
    if (r.kind === 'default') return dn;
    if (!r.pattern.test(dn)) continue;
    const name = dn.replace(r.pattern, r.replacement);
    return r.caseChange === 'L' ? name.toLowerCase() : r.caseChange === 'U' ? name.toUpperCase() : name;
  }
  throw new NoMatchingRuleError(dn);
}

/** RFC 2253 form of a subject as Node's X509Certificate prints it (one `K=V` per line, least specific first). */
export function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .join(',');
}
