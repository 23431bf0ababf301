/**
 * The option part of a rule (hosts_options(5), Debian's extended language). `allow` and `deny`
 * decide; `twist` and `aclexec` would replace or vet the server, which xinetd-ts cannot do in
 * the daemon, so they refuse (xinetd's libwrap denies twist in a resident process); the others
 * are reported and ignored. A syntax error refuses, as in tcpd.
 */
export interface RuleOptions {
  readonly verdict: 'allow' | 'deny' | undefined;
  /** Syntax error: a matching client is refused. */
  readonly error: string | undefined;
  /** An option xinetd-ts cannot honour that would change who gets in: refuse. */
  readonly refusing: string | undefined;
  /** Options without effect on the decision that xinetd-ts does not carry out. */
  readonly ignored: readonly string[];
}

const NEED_ARG = 1;
const OPT_ARG = 2;
const USE_LAST = 4;

/** A Map: `constructor` or `__proto__` is a bad option name (an object's inherited keys would be options). */
const KNOWN: ReadonlyMap<string, number> = new Map(Object.entries({
  user: NEED_ARG, group: NEED_ARG, umask: NEED_ARG, linger: NEED_ARG, keepalive: 0,
  spawn: NEED_ARG, twist: NEED_ARG | USE_LAST, aclexec: NEED_ARG, rfc931: OPT_ARG, setenv: NEED_ARG,
  nice: OPT_ARG, severity: NEED_ARG, allow: USE_LAST, deny: USE_LAST, banners: NEED_ARG,
}));

/** Options are separated by `:`; `\:` is a literal colon. */
function fields(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === ':') {
      cur += ':';
      i++;
    } else if (text[i] === ':') {
      out.push(cur);
      cur = '';
    } else cur += text[i];
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

export function parseOptions(text: string): RuleOptions {
  let verdict: RuleOptions['verdict'];
  let refusing: string | undefined;
  const ignored: string[] = [];
  const all = fields(text);
  const result = (error?: string): RuleOptions => ({ verdict, error, refusing, ignored });
  for (let i = 0; i < all.length; i++) {
    const option = all[i]!;
    const m = /^([^=\s]*)\s*(?:=\s*)?(.*)$/s.exec(option)!;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim() || undefined;
    const flags = KNOWN.get(key);
    if (flags === undefined) return result(`bad option name: "${m[1]}"`);
    if (value === undefined && flags & NEED_ARG) return result(`option "${key}" requires value`);
    if (value !== undefined && !(flags & (NEED_ARG | OPT_ARG))) return result(`option "${key}" requires no value`);
    if (i < all.length - 1 && flags & USE_LAST) return result(`option "${key}" must be at end`);
    if (key === 'allow' || key === 'deny') verdict = key;
    else if (key === 'twist' || key === 'aclexec') refusing ??= key;
    else ignored.push(key);
  }
  return result();
}
