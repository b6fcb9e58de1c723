import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface UiRoutesOptions {
  /** The dashboard's built files (apps/web/dist): index.html and assets/. */
  readonly dir: string;
}

/** Where the dashboard is served; also open to everyone in the auth plugin (its data calls are not). */
export const UI_PREFIX = '/ui/';

/**
 * The web dashboard's static files under /ui: hashed assets cached for good, index.html never, and
 * index.html for every other /ui/ path, so that the app's own routes load on a reload. A strict CSP:
 * scripts, styles and connections to this origin only, no inline script.
 */
export async function uiRoutes(app: FastifyInstance, options: UiRoutesOptions): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
  });
  await app.register(fastifyStatic, {
    root: options.dir,
    prefix: UI_PREFIX,
    // One route per file present at start: any other path is the app's own, answered with index.html.
    wildcard: false,
    index: 'index.html',
    cacheControl: false,
    schemaHide: true,
    setHeaders: (reply, path) => {
      reply.header(
        'cache-control',
        /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.get('/ui', { schema: { hide: true } }, (_request, reply) => reply.redirect(UI_PREFIX, 302));
  app.get('/ui/*', { schema: { hide: true } }, (request, reply) => {
    // A missing asset is a 404, not the page: a browser would run HTML as a script otherwise.
    if (/\.[a-z0-9]+$/i.test(request.url.split('?')[0] ?? '')) {
      reply.callNotFound();
      return reply;
    }
    return reply.sendFile('index.html');
  });
}
