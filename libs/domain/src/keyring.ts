import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TorkError } from './errors.js';

/** An AES-256 key and the id stored beside every value it encrypted, so keys can rotate. */
export interface EncryptionKey {
  readonly id: string;
  readonly key: Uint8Array;
}

/** How an encrypted value starts: `enc:v1:<key id>:<base64 of iv | ciphertext | tag>`. */
export const ENVELOPE_PREFIX = 'enc:v1:';

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function isEncrypted(value: string): boolean {
  return value.startsWith(ENVELOPE_PREFIX);
}

/** Parses `ID:BASE64` (a 32-byte key, e.g. from `openssl rand -base64 32`); throws a message naming what is wrong. */
export function parseEncryptionKey(text: string): EncryptionKey {
  const colon = text.indexOf(':');
  const id = colon === -1 ? '' : text.slice(0, colon);
  if (!KEY_ID.test(id))
    throw new Error('an encryption key is ID:BASE64, the id of letters, digits, ".", "_" and "-"');
  const encoded = text.slice(colon + 1).trim();
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded))
    throw new Error(`encryption key "${id}" must be 32 bytes in base64 (openssl rand -base64 32)`);
  return { id, key };
}

/**
 * AES-256-GCM over secret values. The first key encrypts; every key decrypts what it encrypted,
 * found by the id in the envelope, so a new key goes first and the old ones stay until unused.
 */
export class Keyring {
  private readonly byId: ReadonlyMap<string, Uint8Array>;
  private readonly current: EncryptionKey;

  constructor(keys: readonly EncryptionKey[]) {
    const [first] = keys;
    if (first === undefined) throw new Error('a keyring needs at least one key');
    this.current = first;
    const byId = new Map<string, Uint8Array>();
    for (const { id, key } of keys) {
      if (byId.has(id)) throw new Error(`encryption key id "${id}" is given more than once`);
      if (key.length !== 32) throw new Error(`encryption key "${id}" must be 32 bytes`);
      byId.set(id, key);
    }
    this.byId = byId;
  }

  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${ENVELOPE_PREFIX}${this.current.id}:${Buffer.concat([iv, body]).toString('base64')}`;
  }

  /** The plaintext of an envelope; throws a TorkError saying why it cannot (unknown key id, altered value). */
  decrypt(envelope: string): string {
    const rest = envelope.startsWith(ENVELOPE_PREFIX) ? envelope.slice(ENVELOPE_PREFIX.length) : '';
    const colon = rest.indexOf(':');
    const id = colon === -1 ? '' : rest.slice(0, colon);
    const key = this.byId.get(id);
    if (key === undefined) {
      throw new TorkError(
        'INTERNAL',
        id === ''
          ? 'not an encrypted value'
          : `it was encrypted with key "${id}", which is not among this process's keys (${this.keyIds.join(', ')})`,
      );
    }
    const bytes = Buffer.from(rest.slice(colon + 1), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES)
      throw new TorkError('INTERNAL', `the value encrypted with key "${id}" is cut short`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new TorkError(
        'INTERNAL',
        `the value encrypted with key "${id}" does not decrypt with it (altered, or another key of that id)`,
      );
    }
  }
}
