import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { UsageError } from './flags.js';
import { serverArgs } from './server-command.js';

describe("Tork's spelling of the server commands", () => {
  it('runs a mode with `tork run MODE FLAGS`, as `-mode MODE FLAGS` does', () => {
    const config = loadConfig(serverArgs(['run', 'worker', '-broker', 'rabbitmq', '-queue', 'x:2']), {});
    expect(config.mode).toBe('worker');
    expect(config.broker).toBe('rabbitmq');
    expect(config.queues).toEqual({ x: 2 });
  });

  it('applies the schema with `tork migration`', () => {
    expect(loadConfig(serverArgs(['migration', '-datastore', 'postgres']), {}).mode).toBe('migration');
  });

  it('leaves flags alone: `-mode standalone` and no argument work as before', () => {
    expect(serverArgs(['-mode', 'api'])).toEqual(['-mode', 'api']);
    expect(loadConfig(serverArgs([]), {}).mode).toBe('standalone');
  });

  it('refuses `run` without a known mode, or with -mode as well', () => {
    expect(() => serverArgs(['run'])).toThrow(UsageError);
    expect(() => serverArgs(['run', 'migration'])).toThrow(/standalone, coordinator, api, scheduler, worker/);
    expect(() => serverArgs(['run', 'api', '-mode', 'worker'])).toThrow(/-mode cannot be given/);
  });
});
