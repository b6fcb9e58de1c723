/** Every structural and duration limit of a job spec: its schemas and checks use these, the README lists them. */
export const SPEC_LIMITS = {
  tasks: 1000,
  /** pre and post tasks, each. */
  auxTasks: 16,
  volumes: 16,
  envKeys: 256,
  envKeyLength: 256,
  envValueLength: 64 * 1024,
  nameLength: 256,
  imageLength: 512,
  runLength: 256 * 1024,
  volumePathLength: 256,
  /** Durations, CPU counts and sizes written as text. */
  shortTextLength: 32,
  /** A task's or a pre/post task's timeout: 7 days. */
  timeoutMs: 168 * 3_600_000,
  /** The sum of every retry's wait, for the given limit, initialDelay and scalingFactor: 24 hours. */
  totalRetryDelayMs: 24 * 3_600_000,
  /** Children of a parallel task, and tasks of a sub-job. */
  parallelTasks: 1000,
  /** Every task of a spec, nested ones included. */
  specTasks: 10_000,
  /** How deep composite tasks (parallel, each, subjob) nest. */
  taskDepth: 8,
  /** Items an `each` may run (its list is evaluated when it starts). */
  eachItems: 100_000,
  varLength: 64,
  /** `if`, `output`, `each.list`: expressions. */
  expressionLength: 4096,
  /** inputs and secrets, each. */
  inputs: 256,
  inputValueLength: 64 * 1024,
  tags: 32,
  tagLength: 64,
  descriptionLength: 4096,
  /** The longest a `POST /jobs` may wait for its job (`wait.timeout`). */
  waitMs: 60 * 60_000,
  permissions: 64,
  /** Webhooks of a job or sub-job. */
  webhooks: 16,
  webhookUrlLength: 2048,
  webhookHeaders: 32,
  webhookHeaderValueLength: 4096,
} as const;
