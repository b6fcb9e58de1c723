import http from 'node:http';
import { SseParser } from '@tork/coordinator-api/sse';
import { isolatedServices } from '@tork/testing/cluster';
import {
  percentile,
  row,
  rssSampler,
  runTork,
  servicesEnv,
  startTork,
  submit,
  waitForJob,
} from './measure.js';
import { IMAGE, POSTGRES, RABBITMQ, round2, type Outcome, type Sizes } from './scenarios.js';

const MARK = 'tork-bench-line';
/** Lines written before the stream connected are read back from the store: not what this measures. */
const WARM_UP_LINES = 3;
const LINE_INTERVAL_S = 0.2;

/**
 * Log shipping latency: a container writes a line carrying its clock (bash's $EPOCHREALTIME; the
 * container shares the host's clock), the worker ships it, and an SSE client following the job's log
 * through a second API replica receives it. Distributed: RabbitMQ + PostgreSQL, two APIs, one
 * scheduler, one Docker worker.
 */
export async function logFollow(size: Sizes): Promise<Outcome> {
  const lines = size.logLines;
  const services = await isolatedServices(POSTGRES, RABBITMQ);
  try {
    const shared = ['-broker', 'rabbitmq', '-datastore', 'postgres'];
    const env = servicesEnv(services);
    await runTork(['-mode', 'migration', ...shared], env);
    const submitter = await startTork(['-mode', 'api', ...shared], [], env);
    const follower = await startTork(['-mode', 'api', ...shared], [], env);
    const scheduler = await startTork(['-mode', 'scheduler', ...shared], [], env);
    const worker = await startTork(['-mode', 'worker', ...shared, '-queue', 'default:2'], [], env);
    const rss = rssSampler(follower.child.pid);
    try {
      const id = await submit(submitter.client, {
        name: 'log follow bench',
        tasks: [
          {
            name: 'prints',
            image: IMAGE,
            entrypoint: ['bash', '-c'],
            run: `for i in $(seq 1 ${lines + WARM_UP_LINES}); do echo "${MARK} $EPOCHREALTIME"; sleep ${LINE_INTERVAL_S}; done`,
          },
        ],
      });
      const started = Date.now();
      const latencies = (await follow(follower.client.baseUrl, id)).slice(WARM_UP_LINES);
      const seconds = (Date.now() - started) / 1000;
      const job = await waitForJob(submitter.client, id, 60_000);
      if (job.state !== 'COMPLETED') throw new Error(`the log-follow job ended ${job.state}`);
      if (latencies.length < lines) throw new Error(`received ${latencies.length} of ${lines} lines`);
      latencies.sort((a, b) => a - b);
      const p50 = round2(percentile(latencies, 50));
      return {
        rows: [row('log-follow', latencies.length, 1, seconds, latencies, rss())],
        perTask: { 'log line p50 ms': p50 },
      };
    } finally {
      for (const process of [worker, scheduler, follower, submitter]) await process.stop();
    }
  } finally {
    await services.remove();
  }
}

/** Follows a job's log to its end; the latency of each marked line, in the order received. */
function follow(baseUrl: string, jobId: string): Promise<number[]> {
  const latencies: number[] = [];
  const parser = new SseParser();
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/jobs/${jobId}/log?follow=true`, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`following the log answered ${String(response.statusCode)}`));
        return;
      }
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const now = Date.now();
        for (const event of parser.push(chunk)) {
          if (event.event === 'end') {
            request.destroy();
            resolve(latencies);
            return;
          }
          if (event.event !== 'log') continue;
          const text = (JSON.parse(event.data) as { text?: unknown }).text;
          for (const line of typeof text === 'string' ? text.split('\n') : []) {
            if (!line.startsWith(MARK)) continue;
            latencies.push(now - Number(line.slice(MARK.length + 1)) * 1000);
          }
        }
      });
      response.on('end', () => {
        resolve(latencies);
      });
    });
    request.on('error', reject);
  });
}
