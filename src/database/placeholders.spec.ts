import type { DataSource } from 'typeorm';
import { sqlFor } from './placeholders';

const source = (type: string) => ({ options: { type } }) as unknown as DataSource;

describe('sqlFor', () => {
  const sql = 'UPDATE t SET a = ?, b = ? WHERE id = ?';

  it('numbers the placeholders for PostgreSQL, the same on every call', () => {
    expect(sqlFor(source('postgres'), sql)).toBe('UPDATE t SET a = $1, b = $2 WHERE id = $3');
    expect(sqlFor(source('postgres'), sql)).toBe('UPDATE t SET a = $1, b = $2 WHERE id = $3');
  });

  it('leaves them as they are for SQLite', () => {
    expect(sqlFor(source('sqlite'), sql)).toBe(sql);
  });
});
