import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `vite build` writes the dashboard (from `src/` and from `dist/` alike). */
export const DASHBOARD_DIST_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'dashboard',
  'dist',
);

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles and API only; no inline
 * script or style, no framing, no plugins, forms post only here.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Hashed asset names never change content: a year, immutable. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** Options: the build output folder (tests point it at an empty one). */
export interface AdminUiOptions {
  readonly distDir?: string;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flux-auth admin: not built</title></head>
<body><main><h1>The admin dashboard is not built</h1>
<p>This instance has no dashboard build output (<code>dashboard/dist/index.html</code> is missing).
The API works; to serve the dashboard, run <code>npm run build</code> (or <code>npm install</code>,
which builds it) in the service's folder and restart.</p></main></body></html>
`;

/** `/admin`: the dashboard's files under the strict CSP, or a plain notice when not built. */
export const adminUiRoutes: FastifyPluginAsync<AdminUiOptions> = async (app, opts) => {
  const distDir = opts.distDir ?? DASHBOARD_DIST_DIR;
  app.addHook('onSend', (_request, reply, _payload, done) => {
    reply.header('content-security-policy', DASHBOARD_CSP);
    done();
  });
  if (!existsSync(join(distDir, 'index.html'))) {
    const notice = (_request: unknown, reply: FastifyReply) =>
      reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT_PAGE);
    app.get('/admin', { schema: { hide: true } }, notice);
    app.get('/admin/*', { schema: { hide: true } }, notice);
    return;
  }
  app.get('/admin', { schema: { hide: true } }, (_request, reply) => reply.redirect('/admin/'));
  await app.register(fastifyStatic, {
    root: distDir,
    prefix: '/admin/',
    schemaHide: true,
    cacheControl: false,
    // index.html names the current hashed files: it must be revalidated every time.
    setHeaders: (response, path) => {
      const isAsset = path.includes(`${join('/', 'assets')}/`);
      response.setHeader('cache-control', isAsset ? ASSET_CACHE : 'no-cache');
    },
  });
};
