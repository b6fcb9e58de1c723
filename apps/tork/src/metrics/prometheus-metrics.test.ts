import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from './prometheus-metrics.js';

const FAMILIES = [
  ['tork_http_requests_total', 'counter'],
  ['tork_http_request_duration_seconds', 'histogram'],
  ['tork_job_transitions_total', 'counter'],
  ['tork_task_transitions_total', 'counter'],
  ['tork_task_submit_to_running_seconds', 'histogram'],
  ['tork_task_run_seconds', 'histogram'],
  ['tork_broker_confirm_seconds', 'histogram'],
  ['tork_datastore_statement_seconds', 'histogram'],
  ['tork_worker_running_tasks', 'gauge'],
  ['tork_worker_free_slots', 'gauge'],
  ['tork_process_cpu_seconds_total', 'counter'],
  ['tork_nodejs_heap_size_used_bytes', 'gauge'],
] as const;

/** Records something in every family, so that each is rendered with samples. */
function exercised(metrics: PrometheusMetrics): PrometheusMetrics {
  metrics.observeHttp('/jobs/:id', 'GET', 200, 0.012);
  metrics.jobTransition('COMPLETED');
  metrics.taskTransition('RUNNING', 'default');
  metrics.observeSubmitToRunning('default', 0.3);
  metrics.observeTaskRunTime('default', 'COMPLETED', 2);
  metrics.observeBrokerConfirm(0.002);
  metrics.observeDatastoreStatement(0.001);
  metrics.setRunningTasks('default', 3);
  metrics.setFreeSlots('default', 1);
  return metrics;
}

describe('PrometheusMetrics', () => {
  it('renders every family with its HELP and TYPE lines, and what was recorded', async () => {
    const { contentType, body } = await exercised(new PrometheusMetrics()).scrape('prometheus');
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const [name, type] of FAMILIES) {
      expect(body).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(body).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(body).toContain('tork_http_requests_total{route="/jobs/:id",method="GET",status="200"} 1');
    expect(body).toContain('tork_job_transitions_total{state="COMPLETED"} 1');
    expect(body).toContain('tork_task_transitions_total{state="RUNNING",queue="default"} 1');
    expect(body).toContain('tork_task_run_seconds_count{queue="default",state="COMPLETED"} 1');
    expect(body).toContain('tork_worker_running_tasks{queue="default"} 3');
    expect(body).toContain('tork_worker_free_slots{queue="default"} 1');
  });

  it('renders OpenMetrics when asked, ending with # EOF', async () => {
    const { contentType, body } = await exercised(new PrometheusMetrics()).scrape('openmetrics');
    expect(contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(body).toContain('# TYPE tork_job_transitions counter\n');
    expect(body).toContain('tork_job_transitions_total{state="COMPLETED"} 1');
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('reads what is in flight when scraped, once for both gauges, dropping queues that emptied', async () => {
    let reads = 0;
    let tasks = [
      { queue: 'default', state: 'RUNNING' as const, count: 2 },
      { queue: 'gpu', state: 'SCHEDULED' as const, count: 5 },
    ];
    const metrics = new PrometheusMetrics({
      inFlight: () => {
        reads++;
        return Promise.resolve({ jobs: { RUNNING: 1, PENDING: 0 }, tasks });
      },
    });
    const first = (await metrics.scrape('prometheus')).body;
    expect(reads).toBe(1);
    expect(first).toContain('# TYPE tork_jobs_in_flight gauge');
    expect(first).toContain('tork_jobs_in_flight{state="RUNNING"} 1');
    expect(first).toContain('tork_tasks_in_flight{queue="gpu",state="SCHEDULED"} 5');

    tasks = [{ queue: 'default', state: 'RUNNING', count: 1 }];
    const second = (await metrics.scrape('prometheus')).body;
    expect(second).toContain('tork_tasks_in_flight{queue="default",state="RUNNING"} 1');
    expect(second).not.toContain('queue="gpu"');
  });

  it('still renders the process metrics when the in-flight counts cannot be read', async () => {
    const metrics = new PrometheusMetrics({ inFlight: () => Promise.reject(new Error('datastore down')) });
    const { body } = await metrics.scrape('prometheus');
    expect(body).toContain('# TYPE tork_process_cpu_seconds_total counter');
    expect(body).not.toMatch(/^tork_tasks_in_flight\{/m);
  });

  it('keeps the registries of two instances apart', async () => {
    const one = new PrometheusMetrics();
    one.jobTransition('FAILED');
    const other = (await new PrometheusMetrics().scrape('prometheus')).body;
    expect(other).not.toContain('tork_job_transitions_total{state="FAILED"}');
  });
});
