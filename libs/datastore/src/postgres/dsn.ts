import type { PoolConfig } from 'pg';
import { TorkError } from '@tork/domain';

/**
 * Connection settings from a DSN in either form Tork accepts: libpq's key=value list
 * (`host=localhost user=tork password=tork dbname=tork port=5432 sslmode=disable`, values may be
 * single-quoted with `\'` and `\\` escapes) or a `postgres://` / `postgresql://` URL. Both are read
 * into libpq keywords first, so they mean the same thing.
 */
export function parseDsn(dsn: string): PoolConfig {
  const text = dsn.trim();
  if (text === '') throw invalid('it is empty');
  const params = /^postgres(?:ql)?:\/\//i.test(text) ? urlParams(text) : keyValueParams(text);
  return toPoolConfig(params);
}

/** The libpq keywords this adapter understands; any other is an error, as in libpq. */
const KEYWORDS = [
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'sslmode',
  'connect_timeout',
  'application_name',
  'options',
] as const;
type Keyword = (typeof KEYWORDS)[number];
type Params = Partial<Record<Keyword, string>>;

function keyValueParams(text: string): Params {
  const params: Params = {};
  let at = 0;
  const skipSpaces = (): void => {
    while (at < text.length && /\s/.test(text.charAt(at))) at++;
  };
  skipSpaces();
  while (at < text.length) {
    const keyStart = at;
    while (at < text.length && /[A-Za-z0-9_]/.test(text.charAt(at))) at++;
    const key = text.slice(keyStart, at);
    skipSpaces();
    if (key === '' || text.charAt(at) !== '=')
      throw invalid(`expected key=value at character ${keyStart + 1}`);
    at++;
    skipSpaces();
    let value = '';
    if (text.charAt(at) === "'") {
      at++;
      while (text.charAt(at) !== "'") {
        if (at >= text.length) throw invalid(`unterminated quoted value for ${key}`);
        if (text.charAt(at) === '\\') at++;
        value += text.charAt(at);
        at++;
      }
      at++;
    } else {
      while (at < text.length && !/\s/.test(text.charAt(at))) {
        if (text.charAt(at) === '\\') at++;
        value += text.charAt(at);
        at++;
      }
    }
    setParam(params, key, value);
    skipSpaces();
  }
  return params;
}

function urlParams(text: string): Params {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('it is not a valid URL');
  }
  const params: Params = {};
  if (url.hostname !== '')
    setParam(params, 'host', decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')));
  if (url.port !== '') setParam(params, 'port', url.port);
  if (url.username !== '') setParam(params, 'user', decodeURIComponent(url.username));
  if (url.password !== '') setParam(params, 'password', decodeURIComponent(url.password));
  const dbname = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (dbname !== '') setParam(params, 'dbname', dbname);
  for (const [key, value] of url.searchParams) setParam(params, key, value);
  return params;
}

function setParam(params: Params, key: string, value: string): void {
  if (!isKeyword(key)) throw invalid(`unknown key "${key}" (supported: ${KEYWORDS.join(', ')})`);
  params[key] = value;
}

function isKeyword(key: string): key is Keyword {
  return (KEYWORDS as readonly string[]).includes(key);
}

function toPoolConfig(params: Params): PoolConfig {
  const config: PoolConfig = {};
  const host = params.hostaddr ?? params.host;
  if (host !== undefined && host !== '') config.host = host;
  if (params.port !== undefined) config.port = integer('port', params.port, 1, 65_535);
  if (params.dbname !== undefined) config.database = params.dbname;
  if (params.user !== undefined) config.user = params.user;
  if (params.password !== undefined) config.password = params.password;
  if (params.application_name !== undefined) config.application_name = params.application_name;
  if (params.options !== undefined) config.options = params.options;
  if (params.connect_timeout !== undefined) {
    // libpq: seconds, 0 means wait forever (pg: 0 ms means the same).
    config.connectionTimeoutMillis = integer('connect_timeout', params.connect_timeout, 0) * 1_000;
  }
  if (params.sslmode !== undefined) config.ssl = ssl(params.sslmode);
  return config;
}

/** libpq's sslmode in pg's terms. pg cannot fall back from TLS, so `allow` and `prefer` connect without it. */
function ssl(mode: string): PoolConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw invalid(`unknown sslmode "${mode}" (disable, allow, prefer, require, verify-ca or verify-full)`);
  }
}

function integer(key: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max)
    throw invalid(`${key} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}

/** The DSN itself may hold a password, so errors never quote it whole. */
function invalid(reason: string): TorkError {
  return new TorkError('INVALID_INPUT', `invalid postgres DSN: ${reason}`);
}
