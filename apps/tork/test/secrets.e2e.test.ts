import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import pg from 'pg';
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
import { afterAll, beforeAll, expect, it } from 'vitest';

const describeDistributed = await describeWithDistributedServices({ docker: true });

const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
const TOKEN = `tok-${randomBytes(6).toString('hex')}`;
const URL_PASSWORD = `url-${randomBytes(6).toString('hex')}`;
const PLAINTEXTS = [PASSWORD, TOKEN, URL_PASSWORD];

/** A job whose container proves it saw each secret (by its length) and prints them. */
const JOB = `name: secrets
tasks:
  - name: use the secrets
    image: ubuntu:mantic
    env:
      MY_PASSWORD: ${PASSWORD}
      API_TOKEN: ${TOKEN}
      DATABASE_URL: postgres://app:${URL_PASSWORD}@db:5432/app
      INTRO: hello
    run: |
      echo "password $MY_PASSWORD token $API_TOKEN url $DATABASE_URL"
      echo -n "\${#MY_PASSWORD}:\${#API_TOKEN}:\${#DATABASE_URL}" > $TORK_OUTPUT
`;
const EXPECTED_RESULT = `${PASSWORD.length}:${TOKEN.length}:${`postgres://app:${URL_PASSWORD}@db:5432/app`.length}`;

const key = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

/** Every text, json and jsonb value of every table of the database, as one string. */
async function everyStoredText(dsn: string): Promise<string> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const columns = await client.query<{ table_schema: string; table_name: string; column_name: string }>(
      `select table_schema, table_name, column_name from information_schema.columns
        where table_schema not in ('pg_catalog', 'information_schema')
          and data_type in ('text', 'json', 'jsonb', 'character varying')`,
    );
    expect(columns.rows.length).toBeGreaterThan(0);
    const parts: string[] = [];
    for (const { table_schema, table_name, column_name } of columns.rows) {
      const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;
      const rows = await client.query<{ value: string | null }>(
        `select ${quoted(column_name)}::text as value from ${quoted(table_schema)}.${quoted(table_name)}`,
      );
      for (const row of rows.rows) if (row.value !== null) parts.push(row.value);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

/** The bodies of the messages waiting in a RabbitMQ queue, left in it. */
async function waitingMessages(url: string, queue: string): Promise<string[]> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const bodies: string[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) break;
      bodies.push(message.content.toString('utf8'));
    }
    await channel.close(); // unacknowledged: every message goes back to the queue
    return bodies;
  } finally {
    await connection.close();
  }
}

function expectNoPlaintext(text: string): void {
  for (const secret of PLAINTEXTS) expect(text).not.toContain(secret);
}

describeDistributed('secrets encrypted at rest and in broker messages', () => {
  let services: IsolatedServices;
  const started: TorkProcess[] = [];
  const oldKey = key('k2025');
  const newKey = key('k2026');

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    await new Cluster(services).migrate();
  });

  afterAll(async () => {
    for (const process of started.reverse()) await process.stop();
    await services.remove();
  });

  async function start(mode: 'coordinator' | 'worker', keys: string[]): Promise<TorkProcess> {
    const process = await startTork([
      '-mode',
      mode,
      '-broker',
      'rabbitmq',
      '-rabbitmq-url',
      services.rabbitmqUrl,
      '-datastore',
      'postgres',
      '-postgres-dsn',
      services.postgresDsn,
      '-postgres-pool-size',
      '4',
      ...keys.flatMap((text) => ['-encryption-key', text]),
    ]);
    started.push(process);
    return process;
  }

  async function submit(baseUrl: string): Promise<string> {
    const response = await fetch(`${baseUrl}/jobs`, {
      method: 'POST',
      body: JOB,
      headers: { 'Content-Type': 'text/yaml' },
    });
    const body = (await response.json()) as { id: string };
    expect(response.status).toBe(200);
    return body.id;
  }

  async function logText(baseUrl: string, taskId: string): Promise<string> {
    const page = (await (await fetch(`${baseUrl}/tasks/${taskId}/log?size=100`)).json()) as {
      items: { text: string }[];
    };
    return page.items.map((item) => item.text).join('');
  }

  it('stores and sends no secret value in clear; after a rotation the old values still decrypt', async () => {
    // With one key and no worker yet, the task waits in RabbitMQ.
    const coordinator = await start('coordinator', [oldKey]);
    const before = await submit(coordinator.baseUrl);
    await waitForJob(coordinator.baseUrl, before, ['SCHEDULED']);
    await expect.poll(() => waitingMessages(services.rabbitmqUrl, 'default')).toHaveLength(1);
    const [message] = await waitingMessages(services.rabbitmqUrl, 'default');
    expect(message).toContain('enc:v1:k2025:');
    expectNoPlaintext(message ?? '');
    const stored = await everyStoredText(services.postgresDsn);
    expect(stored).toContain('enc:v1:k2025:');
    expectNoPlaintext(stored);
    expect(await coordinator.stop()).toBe(0);

    // Rotation: the new key first, the old one second, in every process.
    const rotated = await start('coordinator', [newKey, oldKey]);
    await start('worker', [newKey, oldKey]);
    const first = await waitForJob(rotated.baseUrl, before);
    expect(first.state).toBe('COMPLETED');
    expect(first.result).toBe(EXPECTED_RESULT);
    const after = await submit(rotated.baseUrl);
    const second = await waitForJob(rotated.baseUrl, after);
    expect(second.state).toBe('COMPLETED');
    expect(second.result).toBe(EXPECTED_RESULT);
    expect(second.execution[0]?.env).toEqual({
      MY_PASSWORD: '[REDACTED]',
      API_TOKEN: '[REDACTED]',
      DATABASE_URL: '[REDACTED]',
      INTRO: 'hello',
    });

    const log = await logText(rotated.baseUrl, second.execution[0]!.id);
    expect(log).toContain('password [REDACTED] token [REDACTED] url postgres://app:[REDACTED]@db:5432/app');
    const storedAfter = await everyStoredText(services.postgresDsn);
    expect(storedAfter).toContain('enc:v1:k2026:');
    expect(storedAfter).toContain('password [REDACTED]');
    expectNoPlaintext(storedAfter);
    for (const process of started) expectNoPlaintext(process.output());
  });
});
