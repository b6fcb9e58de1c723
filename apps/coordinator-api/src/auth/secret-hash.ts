import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Salted scrypt hashes of API keys and passwords, encoded with their parameters so that stronger
 * ones can be chosen later without invalidating stored hashes: `scrypt$N$r$p$salt$hash` (base64url).
 */

const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Stored parameters beyond these are refused rather than run: a tampered row must not stall the API. */
const MAX_MEMORY = 64 * 1024 * 1024;
const MAX_P = 4;

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(secret, salt, PARAMS);
  return [
    'scrypt',
    PARAMS.N,
    PARAMS.r,
    PARAMS.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** Whether `secret` is the one `encoded` was made from; false for a malformed hash. */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const expected = Buffer.from(hash, 'base64url');
  if (!validParams(params) || expected.length === 0) return false;
  const actual = await derive(secret, Buffer.from(salt, 'base64url'), params, expected.length);
  return timingSafeEqual(actual, expected);
}

/** A hash no secret matches, verified against when there is no stored one: the answer takes as long either way. */
export const UNMATCHABLE_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${randomBytes(SALT_LENGTH).toString('base64url')}$${randomBytes(KEY_LENGTH).toString('base64url')}`;

function validParams(params: { N: number; r: number; p: number }): boolean {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  const positive = Number.isInteger(r) && r >= 1 && Number.isInteger(p) && p >= 1 && p <= MAX_P;
  return powerOfTwo && positive && 128 * N * r <= MAX_MEMORY;
}

function derive(
  secret: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
  length = KEY_LENGTH,
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 2 * MAX_MEMORY };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}
