// A WHERE clause built from optional filters, with its parameters in the same order.
import type { SQLInputValue } from 'node:sqlite';

export class Where {
  private readonly clauses: string[] = [];
  readonly params: SQLInputValue[] = [];

  add(clause: string, ...params: SQLInputValue[]): void {
    this.clauses.push(clause);
    this.params.push(...params);
  }

  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}
