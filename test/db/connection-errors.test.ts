import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isConnectionError } from '../../src/db/index.ts';
import { freePort } from '../helpers/attack-redis-server.ts';
import { POSTGRES_TEST_URL } from '../helpers/databases.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionError', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5433')],
    ['reset', withCode('ECONNRESET')],
    ['socket timeout', withCode('ETIMEDOUT')],
    [
      'admin shutdown (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['crash shutdown (57P02)', withCode('57P02')],
    ['starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['too many connections', withCode('53300')],
    ['connection failure (08006)', withCode('08006')],
    ['terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['wrapped in a cause', new Error('query failed', { cause: withCode('ECONNREFUSED') })],
    ['happy eyeballs', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('counts %s as the database being unavailable', (_name, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ['unique violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['missing table', withCode('42P01', 'relation "nope" does not exist')],
    ['syntax error', withCode('42601')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('leaves %s a plain failure', (_name, error) => {
    expect(isConnectionError(error)).toBe(false);
  });

  it('recognises what node-postgres really throws for a closed port, and not for a bad query', async () => {
    const closed = new pg.Client({
      connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
    });
    closed.on('error', () => {});
    const refused = await closed.connect().then(
      () => null,
      (error: unknown) => error,
    );
    expect(isConnectionError(refused)).toBe(true);

    const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await client.connect();
    try {
      const bad = await client.query('select * from no_such_table_here').then(
        () => null,
        (error: unknown) => error,
      );
      expect(bad).not.toBeNull();
      expect(isConnectionError(bad)).toBe(false);
    } finally {
      await client.end();
    }
  });
});
