import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TorkError } from './errors.js';
import { isEncrypted, Keyring, parseEncryptionKey } from './keyring.js';

const keyText = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

describe('Keyring', () => {
  const old = parseEncryptionKey(keyText('2025'));
  const current = parseEncryptionKey(keyText('2026'));

  it('encrypts with AES-256-GCM into an envelope naming its key, different each time', () => {
    const keyring = new Keyring([current]);

    const first = keyring.encrypt('hunter2');
    const second = keyring.encrypt('hunter2');

    expect(first).toMatch(/^enc:v1:2026:[A-Za-z0-9+/]+=*$/);
    expect(first).not.toContain('hunter2');
    expect(first).not.toBe(second);
    expect(isEncrypted(first)).toBe(true);
    expect(keyring.decrypt(first)).toBe('hunter2');
    expect(keyring.decrypt(keyring.encrypt(''))).toBe('');
  });

  it('still decrypts what an older key encrypted after a rotation (new key first, old second)', () => {
    const before = new Keyring([old]).encrypt('s3cret');
    const rotated = new Keyring([current, old]);

    expect(rotated.decrypt(before)).toBe('s3cret');
    expect(rotated.encrypt('x')).toMatch(/^enc:v1:2026:/);
  });

  it('says which key is missing when it cannot decrypt', () => {
    const envelope = new Keyring([old]).encrypt('s3cret');

    expect(() => new Keyring([current]).decrypt(envelope)).toThrow(
      'it was encrypted with key "2025", which is not among this process\'s keys (2026)',
    );
  });

  it('refuses an altered value and a key of the same id that is not the one', () => {
    const keyring = new Keyring([current]);
    const envelope = keyring.encrypt('s3cret');
    const bytes = Buffer.from(envelope.slice('enc:v1:2026:'.length), 'base64');
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 1, bytes.length - 20);
    const altered = `enc:v1:2026:${bytes.toString('base64')}`;
    const impostor = new Keyring([parseEncryptionKey(keyText('2026'))]);

    expect(() => keyring.decrypt(altered)).toThrow(TorkError);
    expect(() => keyring.decrypt(altered)).toThrow('does not decrypt with it');
    expect(() => impostor.decrypt(envelope)).toThrow('does not decrypt with it');
    expect(() => keyring.decrypt('enc:v1:2026:AAAA')).toThrow('cut short');
  });
});

describe('parseEncryptionKey', () => {
  it('takes ID:BASE64 of 32 bytes', () => {
    const key = randomBytes(32);

    expect(parseEncryptionKey(`k1:${key.toString('base64')}`)).toEqual({ id: 'k1', key: Buffer.from(key) });
  });

  it.each([
    ['no id', randomBytes(32).toString('base64'), 'an encryption key is ID:BASE64'],
    ['16 bytes', `k:${randomBytes(16).toString('base64')}`, 'must be 32 bytes in base64'],
    ['not base64', `k:${'!'.repeat(44)}`, 'must be 32 bytes in base64'],
    ['a bad id', `a b:${randomBytes(32).toString('base64')}`, 'an encryption key is ID:BASE64'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseEncryptionKey(text)).toThrow(message);
  });

  it('refuses two keys of one id in a keyring', () => {
    expect(() => new Keyring([parseEncryptionKey(keyText('a')), parseEncryptionKey(keyText('a'))])).toThrow(
      'given more than once',
    );
  });
});
