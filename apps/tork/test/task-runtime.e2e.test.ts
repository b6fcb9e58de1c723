import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeWithService,
  dockerAvailable,
  registryAvailable,
  startTork,
  TEST_REGISTRY,
  TEST_REGISTRY_HINT,
  waitForJob,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const docker = await dockerAvailable();
const registry = docker && (await registryAvailable());
const RUN = Math.random().toString(36).slice(2, 8);

interface TaskView {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly result?: string;
  readonly error?: string;
  readonly progress?: number;
  readonly failure?: { readonly kind: string; readonly exitCode?: number };
}

interface JobView {
  readonly id: string;
  readonly state: string;
  readonly result?: string;
  readonly error?: string;
  readonly progress?: number;
  readonly execution: readonly TaskView[];
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: { readonly id?: string; readonly problems?: readonly { path: string; message: string }[] };
}

async function post(tork: TorkProcess, yaml: string): Promise<Answer> {
  const response = await fetch(`${tork.baseUrl}/jobs`, {
    method: 'POST',
    body: yaml,
    headers: { 'content-type': 'text/yaml' },
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer['body'] };
}

async function submit(tork: TorkProcess, yaml: string): Promise<string> {
  const answer = await post(tork, yaml);
  if (answer.status !== 200 || answer.body.id === undefined)
    throw new Error(`submit answered ${answer.status}: ${answer.text}`);
  return answer.body.id;
}

async function job(tork: TorkProcess, id: string): Promise<JobView> {
  return (await (await fetch(`${tork.baseUrl}/jobs/${id}`)).json()) as JobView;
}

async function run(tork: TorkProcess, yaml: string, timeoutMs = 60_000): Promise<JobView> {
  const id = await submit(tork, yaml);
  await waitForJob(tork.baseUrl, id, ['COMPLETED', 'FAILED', 'CANCELLED'], timeoutMs);
  return job(tork, id);
}

function docker_(...args: string[]): string[] {
  return execFileSync('docker', args, { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}

/** The engine's containers, volumes and networks still present for a standalone engine on `port`. */
function leftovers(port: number): string[] {
  const filter = `label=tork.standalone=${port}`;
  return [
    ...docker_('ps', '-a', '--filter', filter, '--format', 'container {{.Names}}'),
    ...docker_('volume', 'ls', '--filter', filter, '--format', 'volume {{.Name}}'),
    ...docker_('network', 'ls', '--filter', filter, '--format', 'network {{.Name}}'),
  ];
}

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('the task container surface (standalone, Docker)', () => {
  let tork: TorkProcess;
  let bindDir: string;
  let network: string;

  beforeAll(async () => {
    bindDir = await mkdtemp(join(tmpdir(), 'tork-bind-'));
    await writeFile(join(bindDir, 'input.txt'), 'from the host\n');
    network = `tork-e2e-${RUN}`;
    docker_('network', 'create', '--label', `tork.test=${RUN}`, network);
    // A server on that network, reachable as `web`.
    docker_(
      'run',
      '-d',
      '--rm',
      '--name',
      `tork-e2e-web-${RUN}`,
      '--network',
      network,
      '--network-alias',
      'web',
      '--label',
      `tork.test=${RUN}`,
      'busybox',
      'sh',
      '-c',
      'mkdir -p /www && echo -n served by web > /www/index.html && httpd -f -p 8080 -h /www',
    );
    tork = await startTork([
      '-mode',
      'standalone',
      '-queue',
      'default:4',
      '-mounts-bind-allowed',
      '-mounts-bind-prefix',
      bindDir,
    ]);
  }, 60_000);

  afterAll(async () => {
    const code = await tork.stop();
    docker_('rm', '-f', `tork-e2e-web-${RUN}`);
    docker_('network', 'rm', network);
    await rm(bindDir, { recursive: true, force: true });
    expect(code).toBe(0);
    expect(leftovers(tork.port)).toEqual([]);
  });

  it('runs `cmd`, and `run` through an `entrypoint`', async () => {
    const done = await run(
      tork,
      `
tasks:
  - name: cmd
    image: busybox
    cmd: ["echo", "-n", "hello from cmd"]
  - name: bash
    image: busybox
    entrypoint: ["bash", "-c"]
    run: echo -n "$((6 * 7)) from \${BASH_VERSION%%.*}" > $TORK_OUTPUT
`,
    );
    expect(done.state).toBe('COMPLETED');
    expect(done.execution.map((task) => task.result)).toEqual(['hello from cmd', '42 from 5']);
  });

  it('writes `files` read-only into `workdir`', async () => {
    const done = await run(
      tork,
      `
tasks:
  - image: busybox
    workdir: /work
    files:
      script.sh: |
        echo -n "in $(pwd): $(cat greeting.txt)"
      greeting.txt: hello
    run: |
      stat -c %a greeting.txt >&2
      sh script.sh > $TORK_OUTPUT
`,
    );
    expect(done.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'in /work: hello' });
  });

  it('mounts a volume shared with pre and post tasks, and a tmpfs', async () => {
    const done = await run(
      tork,
      `
tasks:
  - image: busybox
    mounts:
      - type: volume
        target: /shared
      - type: tmpfs
        target: /scratch
    pre:
      - image: busybox
        run: echo -n from pre > /shared/note
    run: |
      grep -q ' /scratch tmpfs ' /proc/mounts && echo -n "$(cat /shared/note), tmpfs" > $TORK_OUTPUT
`,
    );
    expect(done.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'from pre, tmpfs' });
  });

  it('accepts a bind mount under the allowed prefix and refuses one outside it', async () => {
    const done = await run(
      tork,
      `
tasks:
  - image: busybox
    mounts:
      - type: bind
        source: ${bindDir}
        target: /in
    run: cat /in/input.txt > $TORK_OUTPUT
`,
    );
    expect(done.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'from the host\n' });
    const refused = await post(
      tork,
      `
tasks:
  - image: busybox
    mounts:
      - type: bind
        source: /etc
        target: /in
`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.problems).toContainEqual(
      expect.objectContaining({ path: 'tasks[0].mounts[0].source' }),
    );
  });

  it('joins a network and reaches a server there by name', async () => {
    const done = await run(
      tork,
      `
tasks:
  - image: busybox
    networks: [${network}]
    run: wget -q -O $TORK_OUTPUT http://web:8080/
`,
    );
    expect(done.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'served by web' });
  });

  it('starts a sidecar, waits for its probe, and reaches it by name', async () => {
    const done = await run(
      tork,
      `
tasks:
  - image: busybox
    sidecars:
      - name: api
        image: busybox
        run: |
          sleep 1
          mkdir -p /www && echo -n ready > /www/health && httpd -f -p 9000 -h /www
        probe:
          path: /health
          port: 9000
          timeout: 30s
    run: wget -q -O $TORK_OUTPUT http://api:9000/health
`,
    );
    expect(done.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'ready' });
  });

  it('shows progress while a task runs', async () => {
    const id = await submit(
      tork,
      `
tasks:
  - image: busybox
    run: |
      echo 40 > $TORK_PROGRESS
      sleep 4
`,
    );
    await expect
      .poll(async () => (await job(tork, id)).execution[0]?.progress, { timeout: 10_000, interval: 200 })
      .toBe(40);
    const running = await job(tork, id);
    expect(running.state).toBe('RUNNING');
    expect(running.progress).toBe(40);
    expect((await waitForJob(tork.baseUrl, id)).state).toBe('COMPLETED');
  });

  it('hardens every task container: no new privileges, a pids limit, capabilities dropped, not privileged', async () => {
    const id = await submit(
      tork,
      `
tasks:
  - image: busybox
    run: |
      grep NoNewPrivs /proc/self/status > $TORK_OUTPUT
      sleep 3
`,
    );
    let inspected: string[] = [];
    await expect
      .poll(
        () => {
          inspected = docker_('ps', '--filter', `label=tork.job=${id}`, '--format', '{{.ID}}');
          return inspected.length;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(1);
    const [config] = JSON.parse(execFileSync('docker', ['inspect', inspected[0]!], { encoding: 'utf8' })) as {
      HostConfig: { SecurityOpt: string[]; PidsLimit: number; CapDrop: string[]; Privileged: boolean };
    }[];
    expect(config?.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(config?.HostConfig.PidsLimit).toBe(1024);
    expect(config?.HostConfig.CapDrop).toEqual(
      expect.arrayContaining(['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP', 'SYS_CHROOT']),
    );
    expect(config?.HostConfig.Privileged).toBe(false);
    const done = await waitForJob(tork.baseUrl, id);
    expect(done.execution[0]?.result?.replace(/\s+/g, ' ').trim()).toBe('NoNewPrivs: 1');
  });

  it('stops a task that forks 2,000 processes at the pids limit; the worker stays healthy', async () => {
    const done = await run(
      tork,
      `
tasks:
  - image: busybox
    timeout: 20s
    run: |
      i=0
      while [ $i -lt 2000 ]; do sleep 60 & i=$((i + 1)); done
      wait
`,
    );
    expect(done.state).toBe('FAILED');
    expect(done.execution[0]?.error).toMatch(/can't fork|Resource temporarily unavailable|timed out/);
    expect(docker_('ps', '-a', '--filter', `label=tork.job=${done.id}`, '--format', '{{.ID}}')).toEqual([]);
    expect((await fetch(`${tork.baseUrl}/health`)).status).toBe(200);
    const after = await run(tork, 'tasks:\n  - image: busybox\n    run: echo -n fine\n');
    expect(after.execution[0]?.result).toBe('fine');
  });

  it.each([
    ['exit', 'run: exit 3', { kind: 'exit', exitCode: 3 }],
    [
      'oom',
      'limits: { memory: 8m }\n    run: head -c 64m /dev/zero | tail > /dev/null',
      { kind: 'oom', exitCode: 137 },
    ],
    ['timeout', 'timeout: 1s\n    run: sleep 10', { kind: 'timeout' }],
    ['a missing image', 'run: echo', { kind: 'image' }, 'tork/no-such-image:never'],
    ['gpus on an engine without any', 'gpus: all\n    run: echo', { kind: 'rejected' }],
  ])('records the failure kind of %s', async (_what, fields, failure, image = 'busybox') => {
    const done = await run(tork, `tasks:\n  - image: ${image}\n    ${fields}\n`);
    expect(done.state).toBe('FAILED');
    expect(done.execution[0]?.failure).toEqual(failure);
  });

  it('records a cancelled task as cancelled', async () => {
    const id = await submit(tork, 'tasks:\n  - image: busybox\n    run: sleep 30\n');
    await expect
      .poll(async () => (await job(tork, id)).execution[0]?.state, { timeout: 10_000 })
      .toBe('RUNNING');
    expect((await fetch(`${tork.baseUrl}/jobs/${id}/cancel`, { method: 'PUT' })).status).toBe(200);
    await expect
      .poll(async () => (await job(tork, id)).execution[0]?.failure, { timeout: 10_000 })
      .toEqual({ kind: 'cancelled' });
  });
});

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('-default-network', () => {
  it('puts tasks that name no network on the worker default network', async () => {
    const network = `tork-e2e-default-${RUN}`;
    docker_('network', 'create', '--label', `tork.test=${RUN}`, network);
    docker_(
      'run',
      '-d',
      '--rm',
      '--name',
      `tork-e2e-web2-${RUN}`,
      '--network',
      network,
      '--network-alias',
      'web',
      'busybox',
      'sh',
      '-c',
      'mkdir -p /www && echo -n default network > /www/index.html && httpd -f -p 8080 -h /www',
    );
    const tork = await startTork(['-mode', 'standalone', '-default-network', network]);
    try {
      const done = await run(
        tork,
        'tasks:\n  - image: busybox\n    run: wget -q -O $TORK_OUTPUT http://web:8080/\n',
      );
      expect(done.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'default network' });
    } finally {
      await tork.stop();
      docker_('rm', '-f', `tork-e2e-web2-${RUN}`);
      docker_('network', 'rm', network);
    }
  });
});

describeWithService(
  'the local test registry',
  registry,
  TEST_REGISTRY_HINT,
)('authenticated pulls', () => {
  it('pulls a private image with the task`s credentials and never shows the password', async () => {
    const { image, username, password } = TEST_REGISTRY;
    execFileSync('docker', ['rmi', '-f', image], { stdio: 'ignore' });
    const tork = await startTork(['-mode', 'standalone']);
    try {
      const id = await submit(
        tork,
        `
tasks:
  - image: ${image}
    registry:
      username: ${username}
      password: ${password}
    run: echo -n pulled
`,
      );
      const done = await waitForJob(tork.baseUrl, id);
      expect(done.state).toBe('COMPLETED');
      for (const path of [`/jobs/${id}`, '/jobs', `/tasks/${done.execution[0]!.id}`]) {
        expect(await (await fetch(`${tork.baseUrl}${path}`)).text()).not.toContain(password);
      }
      expect(tork.output()).not.toContain(password);
    } finally {
      await tork.stop();
    }
  });
});

describe('the shell runtime', () => {
  it('runs a job without images as the configured user, and refuses container-only fields', async () => {
    const tork = await startTork([
      '-mode',
      'standalone',
      '-runtime',
      'shell',
      '-shell-uid',
      '65534',
      '-shell-gid',
      '65534',
    ]);
    try {
      const done = await run(
        tork,
        'tasks:\n  - name: who\n    run: echo -n "$(id -u) in $(pwd)" > $TORK_OUTPUT\n',
      );
      expect(done.state).toBe('COMPLETED');
      expect(done.execution[0]?.result).toMatch(/^65534 in \//);
      const refused = await post(tork, 'tasks:\n  - run: echo\n    networks: [x]\n');
      expect(refused.status).toBe(400);
      expect(refused.body.problems?.map((problem) => problem.path)).toContain('tasks[0].networks');
    } finally {
      await tork.stop();
    }
  });
});

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('a standalone engine killed mid-task', () => {
  it('removes what it left behind when it starts again on the same port', async () => {
    const first = await startTork(['-mode', 'standalone']);
    const id = await submit(
      first,
      'tasks:\n  - image: busybox\n    mounts: [{ type: volume, target: /v }]\n    run: sleep 60\n',
    );
    await expect
      .poll(async () => (await job(first, id)).execution[0]?.state, { timeout: 15_000 })
      .toBe('RUNNING');
    // RUNNING is reported before the volume and the container are made: kill once the container runs.
    await expect
      .poll(
        () => docker_('ps', '--filter', `label=tork.standalone=${first.port}`, '--format', '{{.Names}}'),
        {
          timeout: 30_000,
        },
      )
      .not.toEqual([]);
    await first.kill();
    expect(leftovers(first.port).length).toBeGreaterThan(0);
    const second = await startTork(['-mode', 'standalone'], { port: first.port });
    try {
      await expect.poll(() => leftovers(first.port), { timeout: 15_000 }).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
