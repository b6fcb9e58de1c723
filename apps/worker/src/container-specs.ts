import {
  parseDuration,
  type ContainerSpec,
  type Mount,
  type OutputChunk,
  type SidecarSpec,
  type SidecarSpecOfTask,
  type TaskRun,
  type TaskStep,
} from '@tork/domain';
import type { DefaultLimits } from './task-runner.js';

/** A sidecar's probe waits this long for a 200 when its `timeout` says nothing. */
export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;

/** A volume the worker creates for one task and removes after it. */
export interface TaskVolume {
  readonly name: string;
  readonly target: string;
}

/** The volumes a task needs before its first step: one per `volumes` entry and per `volume` mount. */
export function taskVolumes(task: TaskRun): TaskVolume[] {
  const volumes = (task.spec.volumes ?? []).map((target, index) => ({
    name: `tork-${task.id}-${index}`,
    target,
  }));
  for (const [index, mount] of (task.spec.mounts ?? []).entries())
    if (mount.type === 'volume') volumes.push({ name: `tork-${task.id}-m${index}`, target: mount.target });
  return volumes;
}

/**
 * Every mount of the task's containers, its volumes created. Pre and post tasks get them too, as in
 * Tork: a pre task fills a volume the task reads (a tmpfs is each container's own all the same).
 */
export function taskMounts(task: TaskRun, volumes: readonly TaskVolume[]): Mount[] {
  const mounts: Mount[] = volumes.map((volume) => ({
    type: 'volume',
    source: volume.name,
    target: volume.target,
  }));
  for (const mount of task.spec.mounts ?? []) {
    if (mount.type === 'tmpfs') mounts.push({ type: 'tmpfs', target: mount.target });
    if (mount.type === 'bind' && mount.source !== undefined)
      mounts.push({ type: 'bind', source: mount.source, target: mount.target });
  }
  return mounts;
}

export interface StepContext {
  readonly task: TaskRun;
  readonly mounts: readonly Mount[];
  readonly limits: DefaultLimits;
  readonly labels: Readonly<Record<string, string>>;
  readonly onOutput?: (chunk: OutputChunk) => void;
  readonly onProgress?: (percent: number) => void;
}

/**
 * The container one step of a task runs in. Every step has its own command, files, working
 * directory, registry and user; it shares the task's mounts, networks and limits (as Tork's pre and
 * post tasks do); sidecars, GPUs and progress belong to the task itself.
 */
export function containerSpec(step: TaskStep, context: StepContext): ContainerSpec {
  const { task, limits } = context;
  const main = step.kind === 'main';
  const own = step.spec;
  return {
    name: main ? task.id : `${task.id}-${step.kind}-${step.index}`,
    image: own.image,
    ...(own.run === undefined ? {} : { script: own.run }),
    ...(own.cmd === undefined ? {} : { cmd: own.cmd }),
    ...(own.entrypoint === undefined ? {} : { entrypoint: own.entrypoint }),
    env: own.env ?? {},
    ...(own.files === undefined ? {} : { files: own.files }),
    ...(own.workdir === undefined ? {} : { workdir: own.workdir }),
    ...(own.registry === undefined ? {} : { registry: own.registry }),
    ...(own.user === undefined ? {} : { user: own.user }),
    mounts: context.mounts,
    ...(task.spec.networks === undefined ? {} : { networks: task.spec.networks }),
    ...(main && task.spec.sidecars !== undefined ? { sidecars: task.spec.sidecars.map(sidecarSpec) } : {}),
    ...(main && task.spec.gpus !== undefined ? { gpus: task.spec.gpus } : {}),
    ...(limits.cpus === undefined ? {} : { cpus: limits.cpus }),
    ...(limits.memoryBytes === undefined ? {} : { memoryBytes: limits.memoryBytes }),
    labels: {
      ...context.labels,
      'tork.task': task.id,
      'tork.job': task.jobId,
      'tork.step': `${step.kind}-${step.index}`,
    },
    ...(context.onOutput === undefined ? {} : { onOutput: context.onOutput }),
    ...(main && context.onProgress !== undefined ? { onProgress: context.onProgress } : {}),
  };
}

export function sidecarSpec(sidecar: SidecarSpecOfTask): SidecarSpec {
  const probe = sidecar.probe;
  return {
    name: slug(sidecar.name),
    image: sidecar.image,
    ...(sidecar.run === undefined ? {} : { script: sidecar.run }),
    ...(sidecar.cmd === undefined ? {} : { cmd: sidecar.cmd }),
    ...(sidecar.entrypoint === undefined ? {} : { entrypoint: sidecar.entrypoint }),
    env: sidecar.env ?? {},
    ...(probe === undefined
      ? {}
      : {
          probe: {
            path: probe.path,
            port: probe.port,
            timeoutMs:
              (probe.timeout === undefined ? undefined : parseDuration(probe.timeout)) ??
              DEFAULT_PROBE_TIMEOUT_MS,
          },
        }),
  };
}

/** A host name from a sidecar's name: lower case, runs of anything else than [a-z0-9] as one `-`. */
export function slug(name: string): string {
  const slugged = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slugged === '' ? 'sidecar' : slugged;
}
