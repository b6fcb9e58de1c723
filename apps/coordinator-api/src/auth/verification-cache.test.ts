import type { Principal } from '@tork/domain';
import { describe, expect, it } from 'vitest';
import { VerificationCache } from './verification-cache.js';

const alice: Principal = { kind: 'user', name: 'alice', role: 'user' };
const ci: Principal = { kind: 'key', name: 'ci', role: 'admin' };

describe('VerificationCache', () => {
  it('answers a verification until its time is up', () => {
    let now = 0;
    const cache = new VerificationCache(30_000, 10, () => now);
    cache.set('d1', alice);

    now = 29_999;
    expect(cache.get('d1')).toEqual(alice);
    now = 30_000;
    expect(cache.get('d1')).toBeUndefined();
  });

  it('drops the least recently used entry past its size', () => {
    const cache = new VerificationCache(30_000, 2, () => 0);
    cache.set('d1', alice);
    cache.set('d2', ci);
    expect(cache.get('d1')).toEqual(alice);
    cache.set('d3', ci);

    expect(cache.get('d2')).toBeUndefined();
    expect(cache.get('d1')).toEqual(alice);
    expect(cache.get('d3')).toEqual(ci);
  });

  it('forgets every verification of a revoked key, and only those', () => {
    const cache = new VerificationCache(30_000, 10, () => 0);
    cache.set('d1', ci, 'key-1');
    cache.set('d2', ci, 'key-1');
    cache.set('d3', alice);

    cache.forgetApiKey('key-1');
    expect([cache.get('d1'), cache.get('d2'), cache.get('d3')]).toEqual([undefined, undefined, alice]);
  });
});
