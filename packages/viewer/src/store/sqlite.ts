// The store's SQLite, Node's own `node:sqlite` (DatabaseSync): nothing to compile or download at
// install, on every supported Node line (22.13+ unflagged). A thin layer gives it what the store
// uses: statements that return big integers, arrays or a single column, transactions as functions,
// and pragmas. (The prebuilt better-sqlite3 was measured against it on bench:viewer; see bench/README.md.)
import { createRequire } from 'node:module';
import type { DatabaseSync, StatementSync, SQLInputValue } from 'node:sqlite';

type Row = Record<string, unknown>;

/** Node 22 calls node:sqlite experimental and says so on stderr at load; the viewer is its own process, and the warning is noise to its users. */
function loadSqlite(): typeof import('node:sqlite') {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    if (String(warning instanceof Error ? warning.message : warning).includes('SQLite is an experimental feature')) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}

export interface StatementOptions {
  /** INTEGER columns as bigint (times in ns exceed 2^53). */
  bigints?: boolean;
  /** Rows as arrays of column values, in select order. */
  arrays?: boolean;
  /** Each row as its first column's value. */
  pluck?: boolean;
}

export class Statement {
  constructor(
    private readonly statement: StatementSync,
    private readonly pluck: boolean,
  ) {}

  run(...params: SQLInputValue[]): { changes: number } {
    return { changes: Number(this.statement.run(...params).changes) };
  }

  get(...params: SQLInputValue[]): unknown {
    const row = this.statement.get(...params) as Row | undefined;
    return this.pluck && row !== undefined ? Object.values(row)[0] : row;
  }

  all(...params: SQLInputValue[]): unknown[] {
    const rows = this.statement.all(...params) as Row[];
    return this.pluck ? rows.map((row) => Object.values(row)[0]) : rows;
  }
}

export class Sqlite {
  private readonly db: DatabaseSync;
  private depth = 0;

  constructor(path: string) {
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(path);
  }

  get open(): boolean {
    return this.db.isOpen;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string, options: StatementOptions = {}): Statement {
    const statement = this.db.prepare(sql);
    if (options.bigints) statement.setReadBigInts(true);
    if (options.arrays) statement.setReturnArrays(true);
    return new Statement(statement, options.pluck === true);
  }

  /** A pragma's value (the first column of its first row), e.g. `pragma('user_version')`. */
  pragma(text: string): unknown {
    const row = this.db.prepare(`PRAGMA ${text}`).get() as Row | undefined;
    return row === undefined ? undefined : Object.values(row)[0];
  }

  /** Runs `fn` in one transaction, rolled back if it throws; a nested call joins the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.exec('BEGIN');
    this.depth++;
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.depth--;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
