import { randomBytes } from 'node:crypto';

/** A created key names its row: `tork_<id>_<secret>`, the secret 256 random bits in base64url. */
const API_KEY = /^tork_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/;

export function newApiKey(id: string): string {
  return `tork_${id}_${randomBytes(32).toString('base64url')}`;
}

/** The id of the stored key a presented one claims to be, or undefined when it has not that shape. */
export function apiKeyId(key: string): string | undefined {
  return API_KEY.exec(key)?.[1];
}
