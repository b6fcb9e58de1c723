import {
  Cluster,
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  startTork,
  waitForJob,
  type IsolatedServices,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Tasks run in the shell runtime, as nobody: these tests are about what the processes count, not containers.
const SHELL = ['-runtime', 'shell', '-shell-uid', '65534', '-shell-gid', '65534'];
const JOB = 'name: counted\ntasks:\n  - name: one\n    run: echo one\n  - name: two\n    run: echo two\n';

async function submit(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/jobs`, {
    method: 'POST',
    body: JOB,
    headers: { 'content-type': 'text/yaml' },
  });
  expect(response.status).toBe(200);
  const { id } = (await response.json()) as { id: string };
  expect((await waitForJob(baseUrl, id)).state).toBe('COMPLETED');
  return id;
}

async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { accept: 'text/plain' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample (`name{labels}`), or 0 when the series is absent. */
function sample(body: string, series: string): number {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('metrics of a standalone engine', () => {
  let tork: TorkProcess;

  beforeAll(async () => {
    tork = await startTork(['-mode', 'standalone', ...SHELL]);
  });

  afterAll(async () => {
    await tork.stop();
  });

  it('moves the job, task and HTTP counters with a job, and answers Tork clients JSON', async () => {
    const before = await scrape(tork.baseUrl);
    await submit(tork.baseUrl);
    const after = await scrape(tork.baseUrl);

    const moved = (series: string): number => sample(after, series) - sample(before, series);
    expect(moved('tork_job_transitions_total{state="COMPLETED"}')).toBe(1);
    expect(moved('tork_job_transitions_total{state="RUNNING"}')).toBe(1);
    expect(moved('tork_task_transitions_total{state="SCHEDULED",queue="default"}')).toBe(2);
    expect(moved('tork_task_transitions_total{state="RUNNING",queue="default"}')).toBe(2);
    expect(moved('tork_task_transitions_total{state="COMPLETED",queue="default"}')).toBe(2);
    expect(moved('tork_task_submit_to_running_seconds_count{queue="default"}')).toBe(2);
    expect(moved('tork_task_run_seconds_count{queue="default",state="COMPLETED"}')).toBe(2);
    expect(moved('tork_http_requests_total{route="/jobs",method="POST",status="200"}')).toBe(1);
    expect(sample(after, 'tork_worker_free_slots{queue="default"}')).toBeGreaterThan(0);
    expect(sample(after, 'tork_jobs_in_flight{state="RUNNING"}')).toBe(0);
    expect(after).toContain('# TYPE tork_process_cpu_seconds_total counter');

    const json = await fetch(`${tork.baseUrl}/metrics`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({
      jobs: { running: 0 },
      tasks: { running: 0 },
      nodes: { online: 1, cpuPercent: 0 },
    });
  });
});

const describeDistributed = await describeWithDistributedServices({ docker: false });

describeDistributed('metrics of a distributed engine', () => {
  let services: IsolatedServices;
  let cluster: Cluster;

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    // The API is told its workers' runtime, so that it takes tasks without an image.
    cluster = new Cluster(services, { api: ['-runtime', 'shell'], worker: SHELL });
    await cluster.migrate();
    await cluster.start('scheduler');
    await cluster.start('worker');
    await cluster.start('api');
  }, 60_000);

  afterAll(async () => {
    await cluster.stopAll();
    await services.remove();
  });

  it('each process counts its own part: api requests, scheduler transitions and confirms, worker slots, statements', async () => {
    const [api] = cluster.of('api');
    const [scheduler] = cluster.of('scheduler');
    const [worker] = cluster.of('worker');
    if (api === undefined || scheduler === undefined || worker === undefined)
      throw new Error('a process is missing');
    await submit(api.baseUrl);

    const fromApi = await scrape(api.baseUrl);
    expect(sample(fromApi, 'tork_http_requests_total{route="/jobs",method="POST",status="200"}')).toBe(1);
    expect(sample(fromApi, 'tork_datastore_statement_seconds_count')).toBeGreaterThan(0);

    const fromScheduler = await scrape(scheduler.baseUrl);
    expect(sample(fromScheduler, 'tork_job_transitions_total{state="COMPLETED"}')).toBe(1);
    expect(sample(fromScheduler, 'tork_task_transitions_total{state="COMPLETED",queue="default"}')).toBe(2);
    expect(sample(fromScheduler, 'tork_broker_confirm_seconds_count')).toBeGreaterThan(0);
    expect(sample(fromScheduler, 'tork_datastore_statement_seconds_count')).toBeGreaterThan(0);

    const fromWorker = await scrape(worker.baseUrl);
    expect(fromWorker).toContain('tork_worker_running_tasks{queue="default"} 0');
    expect(sample(fromWorker, 'tork_worker_free_slots{queue="default"}')).toBeGreaterThan(0);
    expect(sample(fromWorker, 'tork_broker_confirm_seconds_count')).toBeGreaterThan(0);
    // A worker holds no datastore: it measures none.
    expect(sample(fromWorker, 'tork_datastore_statement_seconds_count')).toBe(0);
  });
});
