import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { startTork, type TorkProcess } from './tork-process.js';

const run = promisify(execFile);

/** A PostgreSQL database and a RabbitMQ vhost of their own, for one test, removed afterwards. */
export interface IsolatedServices {
  readonly postgresDsn: string;
  readonly rabbitmqUrl: string;
  remove(): Promise<void>;
}

/**
 * Creates a fresh database (on the server of `adminDsn`) and a fresh vhost (with `rabbitmqctl`,
 * as the machine's root user), both named `tork_test_<random>`.
 */
export async function isolatedServices(adminDsn: string, rabbitmqBaseUrl: string): Promise<IsolatedServices> {
  const name = `tork_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminDsn });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  await run('rabbitmqctl', ['add_vhost', name]);
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  const dsn = new URL(adminDsn);
  dsn.pathname = `/${name}`;
  const amqp = new URL(rabbitmqBaseUrl);
  amqp.pathname = `/${name}`;
  return {
    postgresDsn: dsn.toString(),
    rabbitmqUrl: amqp.toString(),
    remove: async () => {
      await run('rabbitmqctl', ['delete_vhost', name]).catch(() => undefined);
      const cleanup = new pg.Client({ connectionString: adminDsn });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

export type Role = 'api' | 'scheduler' | 'worker' | 'coordinator';

/** Processes of a distributed engine on one machine, started and stopped by tests. */
export class Cluster {
  readonly processes: { role: Role; process: TorkProcess }[] = [];

  constructor(
    private readonly services: Pick<IsolatedServices, 'postgresDsn' | 'rabbitmqUrl'>,
    private readonly extraFlags: Partial<Record<Role, readonly string[]>> = {},
  ) {}

  /** The credentials reach the processes as a deployment passes them: in the environment, not on argv. */
  private credentials(): Record<string, string> {
    return { TORK_POSTGRES_DSN: this.services.postgresDsn, TORK_RABBITMQ_URL: this.services.rabbitmqUrl };
  }

  /** Runs `tork -mode migration` to its end. */
  async migrate(): Promise<void> {
    const migration = await startTork(['-mode', 'migration', '-datastore', 'postgres'], {
      waitForHealth: false,
      env: this.credentials(),
    });
    const code = await new Promise<number | null>((resolve) => migration.child.once('exit', resolve));
    if (code !== 0) throw new Error(`migration exited with ${String(code)}:\n${migration.output()}`);
  }

  /** Starts a process of `role`; `env` adds to its environment (e.g. a fault-test hook). */
  async start(role: Role, env: Readonly<Record<string, string>> = {}): Promise<TorkProcess> {
    const flags = [
      '-mode',
      role,
      '-broker',
      'rabbitmq',
      '-datastore',
      'postgres',
      '-postgres-pool-size',
      '4',
      '-log-level',
      'warn',
      ...(this.extraFlags[role] ?? []),
    ];
    const process = await startTork(flags, { env: { ...this.credentials(), ...env } });
    this.processes.push({ role, process });
    return process;
  }

  /** The live processes of a role. */
  of(role: Role): TorkProcess[] {
    return this.processes
      .filter(
        (entry) =>
          entry.role === role &&
          entry.process.child.exitCode === null &&
          entry.process.child.signalCode === null,
      )
      .map((entry) => entry.process);
  }

  async killAll(role?: Role): Promise<void> {
    await Promise.all(
      this.processes
        .filter((entry) => role === undefined || entry.role === role)
        .map((entry) => entry.process.kill()),
    );
  }

  /** SIGTERM to every process, newest first; the exit codes. */
  async stopAll(): Promise<(number | null)[]> {
    const codes: (number | null)[] = [];
    for (const entry of [...this.processes].reverse()) codes.push(await entry.process.stop());
    return codes;
  }

  /** Everything the processes printed, for a failing test's message. */
  output(): string {
    return this.processes
      .map(
        (entry) =>
          `--- ${entry.role} (pid ${String(entry.process.child.pid)}) ---\n${entry.process.output()}`,
      )
      .join('\n');
  }
}
