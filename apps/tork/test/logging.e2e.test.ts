import { startTork } from '@tork/testing';
import { expect, it } from 'vitest';

it('a process started with -log-format pretty writes readable lines, with no secret in them', async () => {
  const tork = await startTork(
    ['-mode', 'standalone', '-runtime', 'noop', '-log-format', 'pretty', '-log-level', 'debug'],
    {
      env: { TORK_POSTGRES_DSN: 'postgres://tork:pg-secret-xyz@db:5432/tork' },
    },
  );
  const output = tork.output();
  expect(await tork.stop()).toBe(0);
  expect(output).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}tork \S+ running in standalone mode mode=standalone/m,
  );
  expect(output).toContain('configuration');
  expect(output).not.toContain('pg-secret-xyz');
  expect(output).not.toMatch(/^\{/m);
});
