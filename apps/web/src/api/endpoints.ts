import type {
  JobPage,
  JobView,
  LogPage,
  NodeView,
  QueueInfo,
  ScheduledJobPage,
  SubmittedJob,
  TaskPage,
  TaskView,
} from '@tork/coordinator-api/types';
import { request } from './client.js';

export interface JobListQuery {
  readonly page: number;
  readonly size: number;
  readonly q?: string;
  readonly state?: string;
}

const query = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
};

const id = (value: string): string => encodeURIComponent(value);

export const api = {
  jobs: (params: JobListQuery) => request<JobPage>(`/jobs${query({ ...params })}`),
  job: (jobId: string) => request<JobView>(`/jobs/${id(jobId)}`),
  tasks: (jobId: string, parentId: string, page: number, size: number) =>
    request<TaskPage>(`/jobs/${id(jobId)}/tasks${query({ parentId, page, size })}`),
  task: (taskId: string) => request<TaskView>(`/tasks/${id(taskId)}`),
  taskLog: (taskId: string, page: number, size: number) =>
    request<LogPage>(`/tasks/${id(taskId)}/log${query({ page, size })}`),
  submit: (text: string, format: 'yaml' | 'json') =>
    request<SubmittedJob>('/jobs', {
      method: 'POST',
      body: text,
      contentType: format === 'json' ? 'application/json' : 'text/yaml',
    }),
  cancel: (jobId: string) => request<unknown>(`/jobs/${id(jobId)}/cancel`, { method: 'PUT' }),
  restart: (jobId: string) => request<unknown>(`/jobs/${id(jobId)}/restart`, { method: 'PUT' }),
  duplicate: (jobId: string) => request<SubmittedJob>(`/jobs/${id(jobId)}/duplicate`, { method: 'POST' }),
  nodes: () => request<NodeView[]>('/nodes'),
  queues: () => request<QueueInfo[]>('/queues'),
  streamToken: () => request<{ token: string; expiresAt: string }>('/streams/token', { method: 'POST' }),
  schedules: (page: number, size: number) =>
    request<ScheduledJobPage>(`/scheduled-jobs${query({ page, size })}`),
  pauseSchedule: (scheduleId: string) =>
    request<unknown>(`/scheduled-jobs/${id(scheduleId)}/pause`, { method: 'PUT' }),
  resumeSchedule: (scheduleId: string) =>
    request<unknown>(`/scheduled-jobs/${id(scheduleId)}/resume`, { method: 'PUT' }),
  deleteSchedule: (scheduleId: string) =>
    request<unknown>(`/scheduled-jobs/${id(scheduleId)}`, { method: 'DELETE' }),
};
