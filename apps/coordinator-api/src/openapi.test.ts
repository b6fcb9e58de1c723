import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApi, type TestApi } from './api.fixture.js';

let api: TestApi;
let doc: Record<string, unknown>;

beforeAll(async () => {
  api = await startTestApi();
  const response = await api.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  doc = json(response.body);
});

afterAll(async () => {
  await api.app.close();
});

type Node = Record<string, unknown>;

const at = (node: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (value, key) => (typeof value === 'object' && value !== null ? (value as Node)[key] : undefined),
    node,
  );

/** Every `$ref` in the document, with where it is. */
function refs(node: unknown, where = '#'): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((item, index) => refs(item, `${where}/${index}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]): [string, string][] =>
    key === '$ref' && typeof value === 'string' ? [[where, value]] : refs(value, `${where}/${key}`),
  );
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document about Tork', () => {
    expect(doc['openapi']).toMatch(/^3\.\d+\.\d+$/);
    expect(at(doc, 'info', 'title')).toBe('Tork');
    expect(at(doc, 'info', 'version')).toBe('1.2.3');
  });

  it('says every operation takes an API key or a user, except the health checks', () => {
    expect(Object.keys(at(doc, 'components', 'securitySchemes') as Node).sort()).toEqual(['apiKey', 'user']);
    expect(doc['security']).toEqual([{ apiKey: [] }, { user: [] }]);
    for (const path of ['/health', '/health/ready', '/health/live'])
      expect(at(doc, 'paths', path, 'get', 'security'), path).toEqual([]);
    expect(at(doc, 'paths', '/jobs', 'post', 'security')).toBeUndefined();
  });

  it('documents the API paths, and not its own plumbing', () => {
    const paths = Object.keys(at(doc, 'paths') as Node).sort();

    expect(paths).toEqual(
      [
        '/api-keys',
        '/api-keys/{id}',
        '/health',
        '/health/live',
        '/health/ready',
        '/job',
        '/job/{id}',
        '/job/{id}/cancel',
        '/job/{id}/log',
        '/job/{id}/restart',
        '/jobs',
        '/jobs/{id}',
        '/jobs/{id}/cancel',
        '/jobs/{id}/duplicate',
        '/jobs/{id}/events',
        '/jobs/{id}/log',
        '/jobs/{id}/restart',
        '/jobs/{id}/tasks',
        '/metrics',
        '/nodes',
        '/queues',
        '/queues/{name}',
        '/scheduled-jobs',
        '/scheduled-jobs/{id}',
        '/scheduled-jobs/{id}/pause',
        '/scheduled-jobs/{id}/resume',
        '/streams/token',
        '/task/{id}',
        '/task/{id}/cancel',
        '/task/{id}/log',
        '/tasks/{id}',
        '/tasks/{id}/cancel',
        '/tasks/{id}/log',
        '/users',
      ].sort(),
    );
    expect(Object.keys(at(doc, 'paths', '/jobs') as Node).sort()).toEqual(['get', 'post']);
    expect(Object.keys(at(doc, 'paths', '/queues/{name}') as Node).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(at(doc, 'paths', '/scheduled-jobs') as Node).sort()).toEqual(['get', 'post']);
    expect(Object.keys(at(doc, 'paths', '/scheduled-jobs/{id}') as Node).sort()).toEqual(['delete', 'get']);
  });

  it('documents POST /jobs/{id}/duplicate as answering like a submission', () => {
    const responses = at(doc, 'paths', '/jobs/{id}/duplicate', 'post', 'responses') as Node;
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '404']);
    expect(at(responses, '200', 'content', 'application/json', 'schema', '$ref')).toBe(
      '#/components/schemas/SubmittedJob',
    );
  });

  it('documents the search parameters of GET /jobs and a job summary without task definitions', () => {
    const parameters = at(doc, 'paths', '/jobs', 'get', 'parameters') as { in: string; name: string }[];
    expect(
      parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual(['page', 'q', 'scheduledJobId', 'size', 'state']);
    const summary = at(doc, 'components', 'schemas', 'JobSummary', 'properties') as Node;
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining(['id', 'name', 'state', 'tags', 'taskCount', 'progress']),
    );
    for (const field of ['tasks', 'result', 'error', 'inputs'])
      expect(Object.keys(summary)).not.toContain(field);
  });

  it('gives every operation responses, and every path parameter a definition', () => {
    for (const [path, item] of Object.entries(at(doc, 'paths') as Node)) {
      for (const operation of Object.values(item as Node)) {
        expect(Object.keys(at(operation, 'responses') as Node).length, path).toBeGreaterThan(0);
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          const parameters = at(operation, 'parameters') as { in: string; name: string }[];
          expect(parameters, path).toContainEqual(
            expect.objectContaining({ in: 'path', name: name.slice(1, -1) }),
          );
        }
      }
    }
  });

  it('has the job spec, its tasks a tree of task specs, as the body of POST /job in JSON and YAML', () => {
    const content = at(doc, 'paths', '/job', 'post', 'requestBody', 'content') as Node;
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-yaml', 'text/yaml']);
    expect(at(content, 'text/yaml', 'schema', '$ref')).toBe('#/components/schemas/JobSpec');

    const jobSpec = at(doc, 'components', 'schemas', 'JobSpec');
    expect(at(jobSpec, 'required')).toEqual(['tasks']);
    expect(at(jobSpec, 'properties', 'tasks', 'items', '$ref')).toBe('#/components/schemas/TaskSpec');
    const taskSpec = at(doc, 'components', 'schemas', 'TaskSpec');
    // `image` is required unless the engine runs no images: the domain checks it
    // (job-spec/validate-task-tree.ts), not the schema.
    expect(at(taskSpec, 'properties', 'pre', 'items', 'required')).toBeUndefined();
    expect(Object.keys(at(taskSpec, 'properties', 'pre', 'items', 'properties') as Node)).toEqual(
      expect.arrayContaining(['image', 'registry', 'cmd', 'entrypoint', 'files', 'workdir', 'user']),
    );
    expect(Object.keys(at(taskSpec, 'properties') as Node)).toEqual(
      expect.arrayContaining([
        'cmd',
        'entrypoint',
        'files',
        'workdir',
        'mounts',
        'networks',
        'sidecars',
        'registry',
        'gpus',
        'user',
      ]),
    );
    expect(at(taskSpec, 'properties', 'mounts', 'items', 'properties', 'type', 'enum')).toEqual([
      'volume',
      'tmpfs',
      'bind',
    ]);
    expect(at(taskSpec, 'properties', 'sidecars', 'items', 'required')).toEqual(['name', 'image']);
    expect(at(taskSpec, 'properties', 'parallel', 'properties', 'tasks', 'items', '$ref')).toBe(
      '#/components/schemas/TaskSpec',
    );
    expect(at(taskSpec, 'properties', 'each', 'properties', 'task', '$ref')).toBe(
      '#/components/schemas/TaskSpec',
    );
  });

  it('describes the responses with named schemas', () => {
    const schemas = at(doc, 'components', 'schemas') as Node;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'JobSpec',
        'Job',
        'JobSummary',
        'JobPage',
        'TaskExecution',
        'SubmittedJob',
        'Error',
        'Health',
      ]),
    );
    expect(
      at(
        doc,
        'paths',
        '/job/{id}',
        'get',
        'responses',
        '200',
        'content',
        'application/json',
        'schema',
        '$ref',
      ),
    ).toBe('#/components/schemas/Job');
    expect(
      at(
        doc,
        'paths',
        '/job/{id}',
        'get',
        'responses',
        '404',
        'content',
        'application/json',
        'schema',
        '$ref',
      ),
    ).toBe('#/components/schemas/Error');
    expect(Object.keys(at(schemas, 'TaskExecution', 'properties') as Node)).toEqual(
      expect.arrayContaining([
        'id',
        'jobId',
        'state',
        'image',
        'result',
        'error',
        'nodeId',
        'env',
        'pre',
        'post',
        'startedAt',
      ]),
    );
  });

  it('resolves every $ref to a component', () => {
    const found = refs(doc);
    expect(found.length).toBeGreaterThan(0);
    for (const [where, ref] of found) {
      expect(ref, where).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(
        at(doc, 'components', 'schemas', ref.split('/').at(-1) ?? ''),
        `${where} → ${ref}`,
      ).toBeDefined();
    }
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('swagger');
  });
});
