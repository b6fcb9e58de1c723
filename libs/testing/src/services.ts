import { connect } from 'amqplib';
import Docker from 'dockerode';
import pg from 'pg';
import { describe } from 'vitest';

/** How long a probe waits for a service before calling it unreachable. */
const PROBE_TIMEOUT_MS = 3_000;

/** True when a Docker engine answers a ping (DOCKER_HOST or the default socket). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await new Docker({ timeout: PROBE_TIMEOUT_MS }).ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * The PostgreSQL server tests use, as a postgres:// URL (the only form test helpers take):
 * TORK_TEST_POSTGRES_DSN, else the local server every development and CI machine runs.
 */
export function postgresTestDsn(): string {
  return process.env['TORK_TEST_POSTGRES_DSN'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** True when a PostgreSQL server at `dsn` (a postgres:// URL) accepts a connection and answers a query. */
export async function postgresAvailable(dsn: string): Promise<boolean> {
  if (!/^postgres(ql)?:\/\//.test(dsn)) throw new Error('the test DSN must be a postgres:// URL');
  const client = new pg.Client({
    connectionString: dsn,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  });
  // A connection that breaks after the probe must not crash the test run.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The RabbitMQ server tests use: TORK_TEST_RABBITMQ_URL, else the local server every development and CI machine runs. */
export function rabbitMqTestUrl(): string {
  return process.env['TORK_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/** RabbitMQ's management API for tests: TORK_TEST_RABBITMQ_MANAGEMENT_URL, else the local server's (`rabbitmq-plugins enable rabbitmq_management`). */
export function rabbitMqManagementTestUrl(): string {
  return process.env['TORK_TEST_RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';
}

/** True when RabbitMQ's management API at `url` answers an authenticated overview. */
export async function rabbitMqManagementAvailable(url: string): Promise<boolean> {
  try {
    const base = new URL(url);
    const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
    const response = await fetch(`${base.origin}/api/overview`, {
      headers: { authorization: `Basic ${auth.toString('base64')}` },
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** True when RabbitMQ at `url` accepts a connection (the AMQP handshake included) within the probe timeout. */
export async function rabbitMqAvailable(url: string): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: PROBE_TIMEOUT_MS });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for suites that need a real service. When the service is unreachable the suite is
 * skipped with a hint on a developer's machine, but fails under CI=true: CI must never pass by skipping.
 */
export function describeWithService(
  name: string,
  available: boolean,
  hint: string,
): ReturnType<typeof describe.skipIf> {
  if (!available) {
    const message = `${name} not reachable: ${hint}`;
    if (process.env['CI'] === 'true')
      throw new Error(`${message} (CI=true: tests that need it must run, not skip)`);
    console.warn(`skipping tests: ${message}`);
  }
  return describe.skipIf(!available);
}

/** What a suite running a distributed engine needs besides the test PostgreSQL and RabbitMQ. */
export interface DistributedNeeds {
  /** The suite's tasks run in containers: it needs the Docker engine (and the test images). */
  readonly docker: boolean;
}

/** True when the test PostgreSQL and RabbitMQ answer, and the Docker engine too when the suite needs it. */
export async function distributedServicesAvailable(needs: DistributedNeeds): Promise<boolean> {
  return (
    (!needs.docker || (await dockerAvailable())) &&
    (await postgresAvailable(postgresTestDsn())) &&
    (await rabbitMqAvailable(rabbitMqTestUrl()))
  );
}

/**
 * {@link describeWithService} for suites that run a distributed engine on the test PostgreSQL and
 * RabbitMQ (see {@link distributedServicesAvailable}): skipped with a hint, or failing under CI=true.
 * The services are probed now, the verdict (warn or fail) given where the suite is declared: a suite
 * that is never declared (nested in one without Tork's examples, say) does neither.
 */
export async function describeWithDistributedServices(
  needs: DistributedNeeds,
): Promise<(title: string, suite: () => void) => void> {
  const available = await distributedServicesAvailable(needs);
  const [name, hint] = needs.docker
    ? [
        'Docker, PostgreSQL and RabbitMQ',
        'bash .ci/run starts Docker and builds the test images; PostgreSQL and RabbitMQ run on every development machine',
      ]
    : ['PostgreSQL and RabbitMQ', 'both run on every development machine'];
  return (title, suite) => {
    describeWithService(name, available, hint)(title, suite);
  };
}
