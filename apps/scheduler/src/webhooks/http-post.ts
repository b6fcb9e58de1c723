import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { errorMessage, refusedAddressReason } from '@tork/domain';

export interface PostOptions {
  readonly timeoutMs: number;
  /** Connect to link-local and cloud metadata addresses too. */
  readonly allowLinkLocal: boolean;
  /** Resolves a host name to all its addresses: dns.lookup unless a test gives its own. */
  readonly resolve?: Resolve;
}

/** Every address a host name resolves to, as dns.lookup with `all: true` answers. */
export type Resolve = (
  hostname: string,
  family: number | undefined,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolve: Resolve = (hostname, family, callback) => {
  dnsLookup(hostname, { all: true, ...(family === undefined ? {} : { family }) }, callback);
};

/** A receiver's answer, or why there was none (refused address, DNS, connection, timeout). */
export type PostResult =
  | { readonly status: number; readonly retryAfter?: string }
  | { readonly error: string; readonly permanent?: boolean };

/**
 * POSTs a body with node's http(s), redirects not followed, the whole exchange bounded by the
 * timeout. The address is checked when connecting (after DNS), so a name that resolves to a
 * link-local or metadata address is refused however it is spelled.
 */
export function postWebhook(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: PostOptions,
): Promise<PostResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ error: 'not a valid URL' });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return Promise.resolve({ error: `${target.protocol} is not http or https` });
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowLinkLocal && isIP(literal) !== 0) {
    const reason = refusedAddressReason(literal);
    if (reason !== undefined) return Promise.resolve({ error: `refused: ${reason}`, permanent: true });
  }
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: options.timeoutMs,
        ...(options.allowLinkLocal ? {} : { lookup: guardedLookup(options.resolve ?? systemResolve) }),
      },
      (response) => {
        const retryAfter = response.headers['retry-after'];
        response.resume();
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, ...(retryAfter === undefined ? {} : { retryAfter }) });
        });
        response.on('error', (error) => {
          resolve({ error: errorMessage(error) });
        });
      },
    );
    const deadline = setTimeout(
      () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => {
      const refused = (error as NodeJS.ErrnoException).code === REFUSED;
      resolve({ error: errorMessage(error), ...(refused ? { permanent: true } : {}) });
    });
    request.on('close', () => {
      clearTimeout(deadline);
    });
    request.end(body);
  });
}

const REFUSED = 'EREFUSEDADDRESS';

/** A lookup for the connection that fails for the addresses refusedAddressReason names. */
const guardedLookup =
  (resolve: Resolve): LookupFunction =>
  (hostname, options, callback) => {
    const family = typeof options.family === 'number' && options.family !== 0 ? options.family : undefined;
    resolve(hostname, family, (error, addresses) => {
      if (error !== null) {
        callback(error, '', 0);
        return;
      }
      const refused = addresses
        .map((entry) => refusedAddressReason(entry.address))
        .find((r) => r !== undefined);
      if (refused !== undefined) {
        callback(Object.assign(new Error(`refused: ${refused}`), { code: REFUSED }), '', 0);
        return;
      }
      if (options.all === true) {
        (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, addresses);
        return;
      }
      const first = addresses[0];
      if (first === undefined) callback(new Error(`${hostname} has no address`), '', 0);
      else callback(null, first.address, first.family);
    });
  };
