import { describe, expect, it } from 'vitest';
import { parseDsn } from './dsn.js';

describe('parseDsn', () => {
  it("reads the seed's key=value DSN", () => {
    expect(parseDsn('host=localhost user=tork password=tork dbname=tork port=5432 sslmode=disable')).toEqual({
      host: 'localhost',
      user: 'tork',
      password: 'tork',
      database: 'tork',
      port: 5432,
      ssl: false,
    });
  });

  it('reads quoted values with escapes, spaces around = and empty values', () => {
    expect(
      parseDsn(
        String.raw`  host = db.internal   password='it\'s a \\secret' user='' application_name=tork\ api options='-c statement_timeout=5s' `,
      ),
    ).toEqual({
      host: 'db.internal',
      password: "it's a \\secret",
      user: '',
      application_name: 'tork api',
      options: '-c statement_timeout=5s',
    });
  });

  it('reads postgres:// and postgresql:// URLs, percent-encoding decoded', () => {
    expect(parseDsn('postgres://tork:p%40ss%3Aword@db.internal:6543/tork%20db?sslmode=require')).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'tork',
      password: 'p@ss:word',
      database: 'tork db',
      ssl: { rejectUnauthorized: false },
    });
    expect(parseDsn('postgresql://postgres@127.0.0.1/postgres')).toEqual({
      host: '127.0.0.1',
      user: 'postgres',
      database: 'postgres',
    });
    expect(parseDsn('postgres://[::1]:5433/tork')).toEqual({ host: '::1', port: 5433, database: 'tork' });
    expect(parseDsn('postgres:///tork?host=/var/run/postgresql')).toEqual({
      host: '/var/run/postgresql',
      database: 'tork',
    });
  });

  it('gives both forms the same meaning', () => {
    expect(parseDsn('postgres://u:p@h:1/d?sslmode=verify-full&connect_timeout=3&application_name=x')).toEqual(
      parseDsn(
        'host=h port=1 user=u password=p dbname=d sslmode=verify-full connect_timeout=3 application_name=x',
      ),
    );
  });

  it('maps sslmode and connect_timeout to the driver', () => {
    const ssl = (mode: string): unknown => parseDsn(`host=h sslmode=${mode}`).ssl;
    expect(ssl('disable')).toBe(false);
    expect(ssl('prefer')).toBe(false);
    expect(ssl('require')).toEqual({ rejectUnauthorized: false });
    expect(ssl('verify-ca')).toMatchObject({ rejectUnauthorized: true });
    expect(ssl('verify-full')).toEqual({ rejectUnauthorized: true });
    expect(parseDsn('host=h').ssl).toBeUndefined();
    expect(parseDsn('host=h connect_timeout=3').connectionTimeoutMillis).toBe(3_000);
    expect(parseDsn('hostaddr=10.0.0.1 host=ignored').host).toBe('10.0.0.1');
  });

  it('rejects what it cannot read, without quoting the password', () => {
    expect(() => parseDsn('')).toThrow('invalid postgres DSN: it is empty');
    expect(() => parseDsn('host=h sslmode=sometimes')).toThrow('unknown sslmode "sometimes"');
    expect(() => parseDsn('host=h port=http')).toThrow('port must be a whole number from 1 to 65535');
    expect(() => parseDsn('host=h port=70000')).toThrow('port must be a whole number');
    expect(() => parseDsn('host=h colour=blue')).toThrow('unknown key "colour"');
    expect(() => parseDsn('postgres://h/db?schema=x')).toThrow('unknown key "schema"');
    expect(() => parseDsn("host=h password='unterminated")).toThrow('unterminated quoted value for password');
    expect(() => parseDsn('password=s3cret just-a-word')).toThrow(
      /^invalid postgres DSN: expected key=value at character 17$/,
    );
    expect(() => parseDsn('postgres://u:s3cret@h:notaport/db')).toThrow(
      /^invalid postgres DSN: it is not a valid URL$/,
    );
  });
});
