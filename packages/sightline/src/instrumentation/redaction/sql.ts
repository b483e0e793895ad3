// Replaces every literal in SQL text by `?` and drops comments, so values (emails, tokens, passwords)
// never leave the process in `db.query.text`, whether the query was parameterised or not. A small
// tokenizer of PostgreSQL's lexical rules rather than regular expressions: strings ('…' with ''
// escapes; E'…' with backslash escapes; B'…', X'…', N'…', U&'…'), dollar quoting ($$…$$, $tag$…$tag$),
// numbers (1, 1.5e3, .5, 0x1F, 0b101, 0o17, 1_000), TRUE and FALSE, line and nested block comments.
// Identifiers ("quoted" too), keywords, operators and placeholders ($1) are kept as written. Where the
// text cannot be read to the end (an unterminated literal), everything from there on is replaced.
// MySQL's differences (backticks, # comments, backslashes in every string) are not handled here.

const enum Ch {
  Quote = 39,
  DoubleQuote = 34,
  Dollar = 36,
  Ampersand = 38,
  Star = 42,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Backslash = 92,
  Underscore = 95,
}

const isDigit = (c: number): boolean => c >= Ch.Zero && c <= Ch.Nine;
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === Ch.Underscore || c >= 128;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c) || c === Ch.Dollar;

/** Where a '…' string starting at `open` ends (just past its closing quote), or -1 if it never does. */
function endOfString(text: string, open: number, backslashEscapes: boolean): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (backslashEscapes && c === Ch.Backslash) {
      i++;
    } else if (c === Ch.Quote) {
      if (text.charCodeAt(i + 1) === Ch.Quote) i++;
      else return i + 1;
    }
  }
  return -1;
}

/** Whether a plain '…' string (from `open` to `end`) holds a backslash: its end then depends on the server's standard_conforming_strings. */
function hasBackslash(text: string, open: number, end: number): boolean {
  const i = text.indexOf('\\', open);
  return i !== -1 && i < end;
}

function endOfBlockComment(text: string, start: number): number {
  // PostgreSQL's block comments nest.
  let depth = 0;
  for (let i = start; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
      depth++;
      i++;
    } else if (c === Ch.Star && text.charCodeAt(i + 1) === Ch.Slash) {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y;
const STRING_PREFIXES = new Set(['e', 'b', 'x', 'n']);

export function sanitizeSql(text: string): string {
  let out = '';
  let copyFrom = 0;
  let i = 0;
  const length = text.length;
  /** Replaces text[from, to) by `replacement` in the output. */
  const replace = (from: number, to: number, replacement: string): void => {
    out += text.slice(copyFrom, from) + replacement;
    copyFrom = to;
  };
  /** Nothing after `from` can be read safely: it all goes. */
  const rest = (from: number): string => {
    replace(from, length, '?');
    return out;
  };

  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === Ch.Quote) {
      const end = endOfString(text, i, false);
      if (end === -1 || hasBackslash(text, i, end)) return rest(i);
      replace(i, end, '?');
      i = end;
    } else if (c === Ch.DoubleQuote) {
      // A quoted identifier: kept. "" is an escaped quote inside it.
      let j = i + 1;
      for (; j < length; j++) {
        if (text.charCodeAt(j) === Ch.DoubleQuote) {
          if (text.charCodeAt(j + 1) === Ch.DoubleQuote) j++;
          else break;
        }
      }
      if (j >= length) return rest(i);
      i = j + 1;
    } else if (c === Ch.Minus && text.charCodeAt(i + 1) === Ch.Minus) {
      const newline = text.indexOf('\n', i);
      const end = newline === -1 ? length : newline;
      replace(i, end, '');
      i = end;
    } else if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
      const end = endOfBlockComment(text, i);
      if (end === -1) {
        replace(i, length, '');
        return out;
      }
      replace(i, end, ' ');
      i = end;
    } else if (c === Ch.Dollar) {
      if (isDigit(text.charCodeAt(i + 1))) {
        // A placeholder ($1): kept.
        i += 2;
        while (i < length && isDigit(text.charCodeAt(i))) i++;
        continue;
      }
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(text);
      if (tag === null) {
        i++;
        continue;
      }
      const close = text.indexOf(tag[0], i + tag[0].length);
      if (close === -1) return rest(i);
      replace(i, close + tag[0].length, '?');
      i = close + tag[0].length;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < length && isIdentPart(text.charCodeAt(j))) j++;
      const word = text.slice(i, j).toLowerCase();
      const next = text.charCodeAt(j);
      if (next === Ch.Quote && STRING_PREFIXES.has(word)) {
        // E'…' takes backslash escapes; B'…', X'…', N'…' are plain strings with a prefix.
        const escapes = word === 'e';
        const end = endOfString(text, j, escapes);
        if (end === -1 || (!escapes && hasBackslash(text, j, end))) return rest(i);
        replace(i, end, '?');
        i = end;
      } else if (word === 'u' && next === Ch.Ampersand && text.charCodeAt(j + 1) === Ch.Quote) {
        const end = endOfString(text, j + 1, false);
        if (end === -1 || hasBackslash(text, j + 1, end)) return rest(i);
        replace(i, end, '?');
        i = end;
      } else if (word === 'true' || word === 'false') {
        replace(i, j, '?');
        i = j;
      } else {
        i = j;
      }
    } else if (isDigit(c) || (c === Ch.Dot && isDigit(text.charCodeAt(i + 1)))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text)!;
      let end = i + match[0].length;
      // A number runs on into letters only in an identifier-like token (1st, 2abc): replace it all.
      while (end < length && isIdentPart(text.charCodeAt(end))) end++;
      replace(i, end, '?');
      i = end;
    } else {
      i++;
    }
  }
  return copyFrom === 0 ? text : out + text.slice(copyFrom);
}
