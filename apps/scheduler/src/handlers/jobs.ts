import type { JobsMessage } from '@tork/domain';
import type { WorkflowRunner } from '../workflow-runner.js';

/** Handles the `jobs` queue: a job submitted, cancelled or restarted. */
export async function handleJobs(runner: WorkflowRunner, message: JobsMessage): Promise<void> {
  switch (message.type) {
    case 'job.submitted':
      return runner.handle({ type: 'job.submitted', jobId: message.jobId });
    case 'job.cancel':
      return runner.handle({ type: 'job.cancel', jobId: message.jobId });
    case 'job.restart':
      return runner.handle({ type: 'job.restart', jobId: message.jobId });
  }
}
