// Query-string values that are credentials are replaced by `REDACTED` before a URL becomes a span
// attribute (`url.query`, `url.full`, a captured Referer or Location header). The keys the URL
// semantic conventions name are redacted by default, with the usual credential names: their
// spelling is compared without case, `-`, `_` or `.` (`api_key`, `apiKey`, `X-Api-Key` are one).

/** The entry that stands for the built-in list, in SIGHTLINE_REDACT_QUERY_KEYS and init(). */
export const DEFAULT_KEYS_TOKEN = 'default';

/** Keys redacted by default, normalised: the semantic conventions' four, then common credential names. */
const DEFAULT_KEYS = [
  // semantic conventions (url.query, url.full): AWS SigV2, Azure SAS, Google signed URLs
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
  // the same services' other signing parameters
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'X-Goog-Credential',
  // OAuth, JWT and API credentials
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'auth',
  'auth_token',
  'authorization',
  'jwt',
  'bearer',
  'api_key',
  'apikey',
  'x-api-key',
  'client_secret',
  'client_assertion',
  'password',
  'passwd',
  'pwd',
  'pass',
  'secret',
  'private_key',
  'credential',
  'credentials',
  'session',
  'session_id',
  'sessionid',
  'session_token',
];

/** Any key ending in one of these is a credential too (`github_token`, `stripe_secret`, `db_password`). */
const DEFAULT_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'apikey',
  'signature',
  'credential',
  'credentials',
  'privatekey',
  'accesskey',
  'secretkey',
];

/** `key` is a credential only when its value looks like one (Google API keys: `key=AIza…`), not `key=user:1`. */
const TOKEN_LIKE = /^[A-Za-z0-9_\-+/=.~%]{16,}$/;

export const REDACTED = 'REDACTED';

export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.]/g, '');
}

export class QueryRedactor {
  private readonly keys: Set<string>;
  private readonly defaults: boolean;

  /** `keys` replaces the built-in list; the entry `default` stands for it. Empty: nothing is redacted. */
  constructor(keys: readonly string[] = [DEFAULT_KEYS_TOKEN]) {
    this.defaults = keys.includes(DEFAULT_KEYS_TOKEN);
    const chosen = keys.filter((k) => k !== DEFAULT_KEYS_TOKEN);
    this.keys = new Set([...(this.defaults ? DEFAULT_KEYS : []), ...chosen].map(normalizeKey));
  }

  get enabled(): boolean {
    return this.defaults || this.keys.size > 0;
  }

  private sensitive(rawKey: string, value: string): boolean {
    let key = rawKey;
    if (key.includes('%') || key.includes('+')) {
      try {
        key = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: compare the key as written.
      }
    }
    // `token[]=…` and `filter[token]=…` name the same thing as `token`.
    const bracket = /^(?:[^[]*\[)?([^[\]]*)\]?(?:\[\])?$/.exec(key);
    const name = normalizeKey(bracket?.[1] || key);
    if (this.keys.has(name)) return true;
    if (!this.defaults) return false;
    for (const suffix of DEFAULT_SUFFIXES) if (name.endsWith(suffix)) return true;
    return name === 'key' && TOKEN_LIKE.test(value);
  }

  /** A query string (without `?`) with credential values replaced; the same string when nothing is. */
  redactQuery(query: string): string {
    if (!this.enabled || query === '') return query;
    const parts = query.split('&');
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const value = part.slice(eq + 1);
      if (value !== '' && value !== REDACTED && this.sensitive(part.slice(0, eq), value)) {
        parts[i] = `${part.slice(0, eq + 1)}${REDACTED}`;
        changed = true;
      }
    }
    return changed ? parts.join('&') : query;
  }

  /** A URL (absolute or a path) with credential query values and any user:password replaced. */
  redactUrl(url: string): string {
    let out = url;
    // https://user:password@host/ → https://REDACTED:REDACTED@host/ (semantic conventions, url.full)
    const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i.exec(out);
    if (userinfo)
      out = `${userinfo[1]}${userinfo[2]!.includes(':') ? `${REDACTED}:${REDACTED}` : REDACTED}@${out.slice(userinfo[0].length)}`;
    const q = out.indexOf('?');
    if (q === -1) return out;
    const hash = out.indexOf('#', q);
    const query = hash === -1 ? out.slice(q + 1) : out.slice(q + 1, hash);
    const redacted = this.redactQuery(query);
    return redacted === query ? out : `${out.slice(0, q + 1)}${redacted}${hash === -1 ? '' : out.slice(hash)}`;
  }
}
