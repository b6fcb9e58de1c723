import { readFileSync } from 'node:fs';
import { startTork, type TorkProcess } from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The review's alias bomb: a task with 999 aliases of an anchored pre task, then aliases of the task. */
function aliasBomb(taskAliases: number): string {
  const env = Array.from({ length: 10 }, (_, i) => `K${i}: v${i}`).join(', ');
  const pre = [`&p {image: a, env: {${env}}}`, ...Array.from({ length: 999 }, () => '*p')].join(', ');
  const tasks = [`&t {image: a, pre: [${pre}]}`, ...Array.from({ length: taskAliases }, () => '*t')];
  return `tasks: [${tasks.join(', ')}]\n`;
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error('no VmRSS');
  return Number(match[1]) * 1024;
}

// No Docker needed: every request here is refused before anything runs.
describe('hostile input against a standalone engine', () => {
  let tork: TorkProcess;

  beforeAll(async () => {
    tork = await startTork(['-mode', 'standalone', '-runtime', 'noop']);
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
  });

  async function submit(
    body: string,
    contentType: string,
  ): Promise<{ status: number; text: string; ms: number }> {
    const began = performance.now();
    const response = await fetch(`${tork.baseUrl}/jobs`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': contentType },
    });
    const text = await response.text();
    return { status: response.status, text, ms: performance.now() - began };
  }

  it('answers each with a 400 under 64 KiB within 2 s, grows by less than 50 MB, and stays healthy', async () => {
    const pid = tork.child.pid ?? 0;
    // Warm up the parser and the reply path, so what follows measures the bodies only.
    expect((await submit('tasks: [{image: a}]', 'text/yaml')).status).toBe(200);
    const before = rssBytes(pid);
    const env = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`bad-${i}`, 'v']));
    const within = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`b-${i}`, 'v']));
    const bodies: [string, string, string][] = [
      ['text/yaml', aliasBomb(3999), 'YAML anchors and aliases are not accepted'],
      ['text/yaml', aliasBomb(258_000), 'YAML anchors and aliases are not accepted'],
      [
        'application/json',
        JSON.stringify({ tasks: Array.from({ length: 74_800 }, () => ({ image: 'a' })) }),
        'tasks: must have at most 1000 items',
      ],
      [
        'application/json',
        JSON.stringify({ tasks: [{ image: 'a', env }] }),
        'env: must have at most 256 keys',
      ],
      [
        'application/json',
        JSON.stringify({ tasks: Array.from({ length: 300 }, () => ({ image: 'a', env: within })) }),
        'and 76750 more problems',
      ],
      ['text/yaml', 'tasks:\n  - image: a\n    queue: amq.x\n', '"amq.x" is reserved by the engine'],
      ['text/yaml', 'tasks:\n  - image: a\n    timeout: 600h\n', 'timeout: must be at most 168h'],
    ];

    for (const [contentType, body, expected] of bodies) {
      expect(body.length).toBeLessThan(1024 * 1024);
      const answer = await submit(body, contentType);

      expect(answer.status).toBe(400);
      expect((JSON.parse(answer.text) as { error: string }).error).toContain(expected);
      expect(Buffer.byteLength(answer.text)).toBeLessThan(64 * 1024);
      expect(answer.ms).toBeLessThan(2000);
    }

    expect(rssBytes(pid) - before).toBeLessThan(50 * 1024 * 1024);
    expect((await fetch(`${tork.baseUrl}/health`)).status).toBe(200);
    expect((await submit('tasks: [{image: a}]', 'text/yaml')).status).toBe(200);
  });

  it('warns at start that secrets are stored as given without an encryption key', () => {
    expect(tork.output()).toContain('no encryption key: secret env values are stored');
  });
});
