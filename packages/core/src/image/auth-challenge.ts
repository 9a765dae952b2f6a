/**
 * Parsing `WWW-Authenticate` challenges (RFC 7235 §4.1, §2.1), as registries send them with a 401:
 * `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"`
 * or `Basic realm="Registry Realm"`. Several challenges may share one header.
 *
 * @module image/auth-challenge
 */

/** One challenge: its scheme (lower-cased) and parameters (names lower-cased). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parse a `WWW-Authenticate` header value (or several, joined or as an array) into challenges.
 * Malformed parts are skipped rather than thrown: a registry's odd header must not hide the ones
 * that parse.
 */
export function parseAuthChallenges(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  if (typeof header !== 'string') return header.flatMap((h) => parseAuthChallenges(h));
  const out: AuthChallenge[] = [];
  let s = header;
  let current: AuthChallenge | undefined;
  const skipWs = () => {
    s = s.replace(/^[ \t]+/, '');
  };
  while (s.length > 0) {
    skipWs();
    if (s.startsWith(',')) {
      s = s.slice(1);
      continue;
    }
    const m = TOKEN.exec(s);
    if (!m) {
      // Unparseable character: skip to the next comma.
      const comma = s.indexOf(',');
      s = comma < 0 ? '' : s.slice(comma + 1);
      continue;
    }
    const token = m[0];
    const after = s.slice(token.length);
    const eq = /^[ \t]*=[ \t]*/.exec(after);
    if (eq && current && !/^[ \t]*=[ \t]*=/.test(after)) {
      // auth-param: token = ( token / quoted-string )
      s = after.slice(eq[0].length);
      let value = '';
      if (s.startsWith('"')) {
        let i = 1;
        for (; i < s.length && s[i] !== '"'; i++) {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
        }
        s = s.slice(i + 1);
      } else {
        const v = /^[^,\s]*/.exec(s)![0];
        value = v;
        s = s.slice(v.length);
      }
      current.params[token.toLowerCase()] = value;
      continue;
    }
    if (eq && !current) {
      // A parameter before any scheme: malformed; drop it.
      const comma = s.indexOf(',');
      s = comma < 0 ? '' : s.slice(comma + 1);
      continue;
    }
    // A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    current = { scheme: token.toLowerCase(), params: {} };
    out.push(current);
    s = after;
    const t68 = /^[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*(?:,|$)/.exec(s);
    if (t68 && !/^[ \t]+[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[^=]/.test(s)) {
      current.params['token68'] = t68[1]!;
      s = s.slice(t68[0].length);
    }
  }
  return out;
}

/** The first challenge of the given scheme (case-insensitive), if any. */
export function findChallenge(challenges: readonly AuthChallenge[], scheme: string): AuthChallenge | undefined {
  const want = scheme.toLowerCase();
  return challenges.find((c) => c.scheme === want);
}
