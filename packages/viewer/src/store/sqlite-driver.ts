// Which better-sqlite3 opens the store. Version 13 is a Node-API build that ships prebuilt binaries
// for every platform (nothing to compile, nothing to approve) and is the only one safe on Node 24:
// version 12 aborts the process there when a statement is garbage-collected (its ObjectWrap
// destructor trips a Node assertion, `(env) != nullptr`). Version 13 needs Node 22 (on Node 20 it
// crashes at the first query), so on Node 20 the store opens with version 12, an optional
// dependency that builds at install.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type SqliteDatabase = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;
type Driver = typeof BetterSqlite3;

const requireHere = createRequire(import.meta.url);
let driver: Driver | undefined;

function nodeMajor(version = process.versions.node): number {
  return Number(version.split('.')[0]);
}

/** The better-sqlite3 for this Node; throws an Error that says what to install when it is missing. */
export function sqliteDriver(): Driver {
  if (driver) return driver;
  if (nodeMajor() >= 22) return (driver = requireHere('better-sqlite3') as Driver);
  try {
    return (driver = requireHere('better-sqlite3-v12') as Driver);
  } catch (error) {
    throw new Error(
      `the viewer's store needs better-sqlite3 12 on Node ${process.versions.node} (version 13 needs Node 22), and it could not be loaded ` +
        `(${(error as Error).message.split('\n')[0]}). Its install script builds it: run \`npm install-scripts approve better-sqlite3\` ` +
        'and `npm rebuild better-sqlite3-v12`, or run the viewer on Node 22 or later',
    );
  }
}
