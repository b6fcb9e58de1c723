import { Type, type Static } from '@sinclair/typebox';
import type { MountType } from '../ports/runtime.js';

/**
 * The container fields of a task (reference §2 and §6): what a task's container runs, with what
 * files, mounts, networks, sidecars and credentials. Their limits are here; what the schema cannot
 * say (paths, a mount's source by type, a worker's policy) is checked in validate-container.ts and
 * worker-policy.ts.
 */
export const TASK_FIELD_LIMITS = {
  argv: 256,
  argLength: 64 * 1024,
  files: 64,
  fileNameLength: 255,
  fileLength: 256 * 1024,
  /** Every file of a task together. */
  filesTotalLength: 1024 * 1024,
  pathLength: 256,
  mounts: 16,
  networks: 8,
  networkNameLength: 128,
  sidecars: 8,
  registryFieldLength: 1024,
  gpusLength: 128,
  userLength: 64,
} as const;

const argv = (description: string) =>
  Type.Array(Type.String({ maxLength: TASK_FIELD_LIMITS.argLength }), {
    maxItems: TASK_FIELD_LIMITS.argv,
    description,
  });

const path = (description: string) =>
  Type.String({ minLength: 1, maxLength: TASK_FIELD_LIMITS.pathLength, description });

export const CmdSchema = argv(
  'The command to run when there is no `run`, e.g. `["echo", "hi"]`; the image\'s own otherwise.',
);
export const EntrypointSchema = argv(
  'Replaces the image\'s entrypoint; with `run`, the script is its last argument, e.g. `["bash", "-c"]`.',
);

export const FilesSchema = Type.Record(
  Type.String(),
  Type.String({ maxLength: TASK_FIELD_LIMITS.fileLength }),
  {
    maxProperties: TASK_FIELD_LIMITS.files,
    propertyNames: { minLength: 1, maxLength: TASK_FIELD_LIMITS.fileNameLength, pattern: '^[^/\\u0000]+$' },
    description: 'Files written read-only into the working directory before the task starts: name → content.',
  },
);

export const WorkdirSchema = path('The working directory, an absolute path (`files` are written there).');

export const MountSpecSchema = Type.Object(
  {
    // An enum rather than a union of literals: one problem naming the three, not three.
    type: Type.Unsafe<MountType>({
      type: 'string',
      enum: ['volume', 'tmpfs', 'bind'],
      description:
        '`volume`: a fresh volume, removed after the task; `tmpfs`: memory; `bind`: a host path, only where the worker allows it.',
    }),
    source: Type.Optional(path('A bind mount: the host path.')),
    target: path('Where it appears in the container, an absolute path (never `/tork`).'),
  },
  { additionalProperties: false },
);

export const MountsSchema = Type.Array(MountSpecSchema, {
  maxItems: TASK_FIELD_LIMITS.mounts,
  description: 'Mounts of the task container (not of its pre and post tasks).',
});

export const NetworksSchema = Type.Array(
  Type.String({
    minLength: 1,
    maxLength: TASK_FIELD_LIMITS.networkNameLength,
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  }),
  {
    maxItems: TASK_FIELD_LIMITS.networks,
    description: "Docker networks the task joins (by default, the worker's `-default-network` or Docker's).",
  },
);

export const RegistrySchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: TASK_FIELD_LIMITS.registryFieldLength }),
    password: Type.String({
      minLength: 1,
      maxLength: TASK_FIELD_LIMITS.registryFieldLength,
      description: 'Never shown: redacted in every response.',
    }),
  },
  { additionalProperties: false, description: 'Credentials to pull the image with.' },
);

export const GpusSchema = Type.String({
  minLength: 1,
  maxLength: TASK_FIELD_LIMITS.gpusLength,
  description: "Docker's `--gpus` value, e.g. `all` or `count=1`.",
});

export const UserSchema = Type.String({
  minLength: 1,
  maxLength: TASK_FIELD_LIMITS.userLength,
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$',
  description: "The user the task runs as: a name, a uid, or uid:gid (the image's by default).",
});

export const ProbeSpecSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: TASK_FIELD_LIMITS.pathLength, pattern: '^/' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    timeout: Type.Optional(
      Type.String({ maxLength: 32, description: 'How long to wait for a 200 (default 1m).' }),
    ),
  },
  { additionalProperties: false, description: 'An HTTP GET that must answer 200 before the task starts.' },
);

export const SidecarSpecSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      description: 'Its host name on the task network, as a slug (lower case, `-`).',
    }),
    image: Type.String({ minLength: 1, maxLength: 512 }),
    run: Type.Optional(Type.String({ maxLength: 256 * 1024 })),
    cmd: Type.Optional(CmdSchema),
    entrypoint: Type.Optional(EntrypointSchema),
    env: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 256 }),
        Type.String({ maxLength: 64 * 1024 }),
        {
          maxProperties: 256,
        },
      ),
    ),
    probe: Type.Optional(ProbeSpecSchema),
  },
  { additionalProperties: false },
);

export const SidecarsSchema = Type.Array(SidecarSpecSchema, {
  maxItems: TASK_FIELD_LIMITS.sidecars,
  description: 'Containers started before the task on a network of its own, reachable by name.',
});

export type MountSpec = Static<typeof MountSpecSchema>;
export type RegistrySpec = Static<typeof RegistrySchema>;
export type ProbeSpec = Static<typeof ProbeSpecSchema>;
export type SidecarSpecOfTask = Static<typeof SidecarSpecSchema>;

/** The container fields a regular task has, as the task spec types them. */
export interface TaskContainerFields {
  cmd?: string[];
  entrypoint?: string[];
  files?: Record<string, string>;
  workdir?: string;
  mounts?: MountSpec[];
  networks?: string[];
  sidecars?: SidecarSpecOfTask[];
  registry?: RegistrySpec;
  gpus?: string;
  user?: string;
}

/** The container fields a pre or post task has: its own command, files and credentials. */
export type AuxContainerFields = Pick<
  TaskContainerFields,
  'cmd' | 'entrypoint' | 'files' | 'workdir' | 'registry' | 'user'
>;
