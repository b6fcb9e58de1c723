/** What replaces a password in logged settings. */
export const MASK = '[REDACTED]';

/**
 * A connection string with its password masked: a URL (`amqp://user:pw@host`, `postgres://...`,
 * `?password=`) or libpq's key=value list (values may be quoted and hold spaces). Text that
 * cannot be read as either is masked whole rather than risk showing part of a password.
 */
export function maskCredentials(text: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())) return maskUrl(text.trim());
  return maskKeyValues(text);
}

function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return MASK;
  }
  const user = url.username === '' ? '' : url.username;
  const auth = url.password === '' ? (user === '' ? '' : `${user}@`) : `${user}:${MASK}@`;
  const params = new URLSearchParams(url.search);
  for (const key of [...params.keys()]) if (key.toLowerCase() === 'password') params.set(key, MASK);
  const search = params.size === 0 ? '' : `?${params.toString().replaceAll(encodeURIComponent(MASK), MASK)}`;
  return `${url.protocol}//${auth}${url.host}${url.pathname}${search}`;
}

/** libpq's key=value list, tokenised as libpq does; `password`'s value is masked. */
function maskKeyValues(text: string): string {
  const parts: string[] = [];
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
    if (key === '' || text.charAt(at) !== '=') return MASK;
    at++;
    skipSpaces();
    const valueStart = at;
    if (text.charAt(at) === "'") {
      at++;
      while (text.charAt(at) !== "'") {
        if (at >= text.length) return MASK;
        if (text.charAt(at) === '\\') at++;
        at++;
      }
      at++;
    } else {
      while (at < text.length && !/\s/.test(text.charAt(at))) {
        if (text.charAt(at) === '\\') at++;
        at++;
      }
    }
    parts.push(`${key}=${key.toLowerCase() === 'password' ? MASK : text.slice(valueStart, at)}`);
    skipSpaces();
  }
  return parts.join(' ');
}
