import fastifyHelmet from '@fastify/helmet';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI document, built from the route schemas, at GET /openapi.json, and Swagger UI at /docs.
 * Register before the routes: the document is collected as routes are added.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema, so the domain's job-spec schema is used as it is.
      openapi: '3.1.0',
      info: {
        title: 'Tork',
        version,
        description: 'Submit jobs, each a list of tasks that run in containers, and follow their execution.',
      },
      tags: [
        { name: 'jobs', description: 'Submit and inspect jobs' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
      // Needed once any API key or user exists; the health routes say they need none.
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key' },
          user: { type: 'http', scheme: 'basic', description: 'A user and password' },
        },
      },
      security: [{ apiKey: [] }, { user: [] }],
    },
    // Shared schemas keep their `$id` as their component name (JobSpec, Job, ...), not `def-N`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${index}`,
    },
  });
  // Security headers on the docs' HTML and assets only: helmet registered in this context applies to its routes.
  await app.register(async (docs) => {
    await docs.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: true,
        // Swagger UI loads its scripts and styles from /docs/static and the document from /docs/json.
        directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null },
      },
    });
    await docs.register(fastifySwaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
