import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from './config.js';
import { UsageError } from './flags.js';
import { bindingRefusal } from './modes/binding.js';

const KEY_A = 'aaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'bbbbbbbbbbbbbbbbbbbb';
const KEY_C = 'cccccccccccccccccccc';

const dir = mkdtempSync(join(tmpdir(), 'tork-keys-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function keysFile(text: string): string {
  const file = join(dir, `keys-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  return file;
}

describe('authentication settings', () => {
  it('listens on loopback by default, health endpoints on every interface, with no key', () => {
    expect(loadConfig([], {})).toMatchObject({
      host: '127.0.0.1',
      healthHost: '0.0.0.0',
      apiKeys: [],
      insecure: false,
      warnings: [],
    });
  });

  it('takes admin keys from -api-key, else TORK_API_KEYS, else the file TORK_API_KEYS_FILE, once each', () => {
    const file = keysFile(`${KEY_C}\n\n${KEY_A}\r\n`);
    expect(
      loadConfig(['-api-key', KEY_A, '-api-key', KEY_A], { TORK_API_KEYS: KEY_B, TORK_API_KEYS_FILE: file })
        .apiKeys,
    ).toEqual([KEY_A]);
    expect(
      loadConfig([], { TORK_API_KEYS: ` ${KEY_B}, ${KEY_A} ,`, TORK_API_KEYS_FILE: file }).apiKeys,
    ).toEqual([KEY_B, KEY_A]);
    expect(loadConfig([], { TORK_API_KEYS_FILE: file }).apiKeys).toEqual([KEY_C, KEY_A]);
    expect(loadConfig([], { TORK_API_KEYS_FILE: keysFile(`${KEY_A},${KEY_B}`) }).apiKeys).toEqual([
      KEY_A,
      KEY_B,
    ]);
  });

  it('warns when a key came on the command line, and only then', () => {
    expect(loadConfig(['-api-key', KEY_A, '-api-key', KEY_B], {}).warnings).toEqual([
      expect.stringContaining('use TORK_API_KEYS or TORK_API_KEYS_FILE instead'),
    ]);
    expect(loadConfig([], { TORK_API_KEYS: KEY_A }).warnings).toEqual([]);
  });

  it('refuses a short key, an unreadable or empty key file', () => {
    expect(() => loadConfig(['-api-key', 'short'], {})).toThrow('at least 16 characters');
    expect(() => loadConfig([], { TORK_API_KEYS: 'short' })).toThrow(UsageError);
    expect(() => loadConfig([], { TORK_API_KEYS_FILE: join(dir, 'missing') })).toThrow(
      /TORK_API_KEYS_FILE names .*missing, which cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig([], { TORK_API_KEYS_FILE: keysFile('\n \n') })).toThrow('which is empty');
  });

  it('takes -insecure as a switch, alone or =true/false', () => {
    expect(loadConfig(['-insecure', '-mode', 'standalone'], {}).insecure).toBe(true);
    expect(loadConfig(['--insecure=false'], {}).insecure).toBe(false);
    expect(() => loadConfig(['-insecure=yes'], {})).toThrow('is a switch');
  });

  it('never shows a key in the logged configuration', () => {
    const logged = JSON.stringify(redactConfig(loadConfig(['-api-key', KEY_A, '-api-key', KEY_B], {})));
    expect(logged).not.toContain(KEY_A);
    expect(logged).not.toContain(KEY_B);
    expect(logged).toContain('"apiKeys":["[REDACTED]","[REDACTED]"]');
  });
});

describe('binding the REST API', () => {
  it('refuses a non-loopback address with no credential, naming the fixes', () => {
    const refusal = bindingRefusal(loadConfig(['-host', '0.0.0.0'], {}), false);
    expect(refusal).toContain('refusing to serve the REST API on 0.0.0.0 with no credential');
    for (const fix of ['-api-key', 'TORK_API_KEYS_FILE', '-insecure', '-host 127.0.0.1'])
      expect(refusal).toContain(fix);
  });

  it('allows it with a configured key, a stored credential or -insecure; loopback always', () => {
    expect(bindingRefusal(loadConfig(['-host', '0.0.0.0'], { TORK_API_KEYS: KEY_A }), false)).toBeUndefined();
    expect(bindingRefusal(loadConfig(['-host', '0.0.0.0'], {}), true)).toBeUndefined();
    expect(bindingRefusal(loadConfig(['-host', '0.0.0.0', '-insecure'], {}), false)).toBeUndefined();
    expect(bindingRefusal(loadConfig([], {}), false)).toBeUndefined();
  });
});
