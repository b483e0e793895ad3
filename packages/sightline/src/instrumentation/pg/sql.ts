// What the database conventions ask of query text: the operation and collection for the span name,
// and literals replaced by `?` in non-parameterised text so values (emails, tokens) never leave the process.

const STRING_LITERAL = /'(?:[^']|'')*'/g;
const NUMBER_LITERAL = /(?<![\w$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi;
const OPERATION = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*(\w+)/;
const COLLECTION = /\b(?:from|into|update|join|table)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i;

export function sanitize(text: string): string {
  return text.replace(STRING_LITERAL, '?').replace(NUMBER_LITERAL, '?');
}

export function operationOf(text: string): string | undefined {
  return OPERATION.exec(text)?.[1]?.toUpperCase();
}

export function collectionOf(text: string): string | undefined {
  return COLLECTION.exec(text)?.[1]?.replace(/"/g, '');
}
