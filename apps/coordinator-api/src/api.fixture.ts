import { expect } from 'vitest';
import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import type { Message } from '@tork/domain';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from './api.js';

/** Test support: the API on in-memory adapters, driven with `inject`. */
export interface TestApi {
  readonly app: FastifyInstance;
  readonly datastore: InMemoryDatastore;
  readonly broker: InMemoryBroker;
}

export async function startTestApi(overrides: Partial<ApiDeps> = {}): Promise<TestApi> {
  const datastore = new InMemoryDatastore();
  const broker = new InMemoryBroker();
  const app = await buildApi({ datastore, broker, version: '1.2.3', ...overrides });
  return { app, datastore, broker };
}

/** The seed's hello.yaml, byte for byte. */
export const HELLO_YAML = `# hello.yaml
---
name: hello job
tasks:
  - name: say hello
    image: ubuntu:mantic
    run: |
      echo -n hello world
`;

/** The seed's JSON example. */
export const SAMPLE_JSON = `{"name":"sample job","tasks":[{
       "name": "sample task",
       "image": "ubuntu:mantic",
       "run": "echo hello world"
     }]}`;

/** Collects what is published to a queue. */
export async function collect(broker: InMemoryBroker, queue: string): Promise<Message[]> {
  const messages: Message[] = [];
  await broker.subscribe(
    queue,
    (message) => {
      messages.push(message);
      return Promise.resolve();
    },
    { concurrency: 1 },
  );
  return messages;
}

/** Parses a JSON response body as an object. */
export function json(body: string): Record<string, unknown> {
  const value: unknown = JSON.parse(body);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`not a JSON object: ${body}`);
  return value as Record<string, unknown>;
}

/** Submits a body as a client would: POST with the given content type (none when undefined). */
export function submitJob(api: TestApi, body: string, contentType?: string, url = '/job') {
  return api.app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  });
}

/** The API still answers /health with 200: a bad request harmed nothing. */
export async function expectHealthy(api: TestApi): Promise<void> {
  const health = await api.app.inject({ method: 'GET', url: '/health' });
  expect(health.statusCode).toBe(200);
}

/** An `Authorization` header for an API key. */
export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/** An `Authorization` header for a user (HTTP basic auth). */
export function basic(username: string, password: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}
