import { describe, expect, it } from 'vitest';
import { RuntimeError } from '@tork/domain';
import { parseGpus } from './gpus.js';

describe('parseGpus', () => {
  it.each([
    ['all', { Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Driver: '' }],
    ['2', { Count: 2, DeviceIDs: [], Capabilities: [['gpu']] }],
    ['count=1', { Count: 1, DeviceIDs: [] }],
    ['count=all', { Count: -1 }],
    ['device=0,1', { Count: 0, DeviceIDs: ['0', '1'] }],
    ['"device=0,1"', { Count: 0, DeviceIDs: ['0', '1'] }],
    ['device=GPU-3a23c669', { Count: 0, DeviceIDs: ['GPU-3a23c669'] }],
    ['capabilities=compute,utility', { Count: 1, Capabilities: [['compute', 'utility', 'gpu']] }],
    ['driver=nvidia', { Count: 1, Driver: 'nvidia' }],
    [
      'count=2,capabilities=compute,driver=nvidia',
      { Count: 2, Capabilities: [['compute', 'gpu']], Driver: 'nvidia' },
    ],
    ['device=0,1,capabilities=utility', { DeviceIDs: ['0', '1'], Capabilities: [['utility', 'gpu']] }],
  ])('reads %s', (value, expected) => {
    expect(parseGpus(value)).toMatchObject(expected);
  });

  it.each([
    ['', 'empty item'],
    ['0', 'count must be "all" or a positive integer, got "0"'],
    ['two', 'count must be "all" or a positive integer'],
    ['count=1,device=0', 'cannot set both count and device'],
    ['count=1,count=2', '"count" given twice'],
    ['memory=2g', 'unknown key "memory"'],
    ['device=', '"device" needs a value'],
    ['all,2', 'count given twice'],
  ])('refuses %j as rejected', (value, message) => {
    let thrown: unknown;
    try {
      parseGpus(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuntimeError);
    expect(thrown).toMatchObject({ kind: 'rejected' });
    expect((thrown as RuntimeError).message).toContain(message);
  });
});
