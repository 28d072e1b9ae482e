import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminUiRoutes,
  DASHBOARD_CSP,
  DASHBOARD_DIST_DIR,
} from '../../src/http/routes/admin-ui-routes.ts';

async function appOver(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(adminUiRoutes, { distDir });
  return app;
}

describe('/admin serving', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flux-admin-ui-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(dir, 'assets', 'index-AbC123.js'), 'export {};');
    app = await appOver(dir);
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html under the strict CSP, revalidated on every load', async () => {
    expect((await app.inject('/admin')).headers.location).toBe('/admin/');
    const page = await app.inject('/admin/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https:|\*/);
  });

  it('serves hashed assets with a year of immutable cache', async () => {
    const asset = await app.inject('/admin/assets/index-AbC123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-security-policy']).toBe(DASHBOARD_CSP);
  });

  it('answers a plain notice, never a blank page, when the build output is missing', async () => {
    const bare = await appOver(join(dir, 'nothing-here'));
    for (const path of ['/admin', '/admin/', '/admin/assets/index-AbC123.js']) {
      const res = await bare.inject(path);
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('The admin dashboard is not built');
      expect(res.body).toContain('npm run build');
      expect(res.body).not.toMatch(/<script|<style|style=/);
    }
    await bare.close();
  });
});

describe('the dashboard build (npm install / npm run build)', () => {
  it('has hashed asset names and no inline script or style in index.html', async () => {
    const html = await readFile(join(DASHBOARD_DIST_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/admin\/assets\/[\w-]+-[\w-]{8}\.js"/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style|style=|https?:\/\//);
  });
});
