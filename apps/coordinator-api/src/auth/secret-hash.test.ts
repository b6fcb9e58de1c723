import { describe, expect, it } from 'vitest';
import { hashSecret, UNMATCHABLE_HASH, verifySecret } from './secret-hash.js';

describe('secret hashes', () => {
  it('verifies the secret a hash was made from, and no other', async () => {
    const hash = await hashSecret('correct horse');

    expect(hash).not.toContain('correct horse');
    expect(await verifySecret('correct horse', hash)).toBe(true);
    expect(await verifySecret('correct horsf', hash)).toBe(false);
    expect(await verifySecret('', hash)).toBe(false);
  });

  it('salts each hash: the same secret never hashes the same twice', async () => {
    expect(await hashSecret('same')).not.toBe(await hashSecret('same'));
  });

  it('answers false, never throws, for a malformed or too costly stored hash', async () => {
    const [scheme, , r, p, salt, hash] = (await hashSecret('x')).split('$');
    for (const stored of [
      '',
      'plain',
      `bcrypt$16384$${r}$${p}$${salt}$${hash}`,
      `${scheme}$1000$${r}$${p}$${salt}$${hash}`,
      `${scheme}$1048576$${r}$${p}$${salt}$${hash}`,
      `${scheme}$16384$${r}$${p}$${salt}$`,
    ])
      expect(await verifySecret('x', stored), stored).toBe(false);
    expect(await verifySecret('', UNMATCHABLE_HASH)).toBe(false);
  });
});
