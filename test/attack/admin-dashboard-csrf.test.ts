import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { openPostgresTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

const ADMIN = { email: 'boss@example.com', password: 'boss passphrase 2026' };
const TIMEOUT_MS = 120_000;

// The attacker's page, on another origin (another port of the same host: same-site, so a
// SameSite=Strict cookie still travels; only the CSRF token stands in the way).
function attackerPage(target: string, ip: string): string {
  const body = JSON.stringify({ ip, reason: 'csrf', durationSeconds: 600 });
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${target}/api/admin/blocks" enctype="text/plain" target="sink">
<input name='${body.slice(0, -1)},"x":"' value='"}'></form>
<iframe name="sink"></iframe>
<script>
window.results = {};
(async () => {
  try {
    await fetch('${target}/api/admin/blocks', { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'content-type': 'text/plain' }, body: '${body}' });
    window.results.noCors = 'sent';
  } catch (e) { window.results.noCors = 'failed'; }
  try {
    const r = await fetch('${target}/api/admin/blocks', { method: 'POST', credentials: 'include',
      headers: { 'content-type': 'application/json', 'x-csrf-token': 'guessed' }, body: '${body}' });
    window.results.json = 'status ' + r.status;
  } catch (e) { window.results.json = 'blocked'; }
  try {
    const r = await fetch('${target}/api/admin/blocks', { credentials: 'include' });
    window.results.read = await r.text();
  } catch (e) { window.results.read = 'blocked'; }
  document.getElementById('f').submit();
  window.results.done = true;
})();
</script></body></html>`;
}

describe('attack: cross-site request forgery against the dashboard session', () => {
  let db: TestDatabase;
  let service: TestService;
  let evil: Server;
  let evilUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let csrfToken: string;

  beforeAll(async () => {
    db = await openPostgresTestDatabase();
    service = await createTestService(db.handle);
    await service.listen();
    await fetch(`${service.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, name: 'Boss' }),
    });
    await service.services.accounts.setRole(ADMIN.email, 'admin');
    evil = createServer((request, response) => {
      const ip = new URL(request.url ?? '/', 'http://x').searchParams.get('ip') ?? '';
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(attackerPage(service.url, ip));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${service.url}/admin/`);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    csrfToken = await page.evaluate(async () => {
      const res = await fetch('/api/admin/session');
      return ((await res.json()) as { csrfToken: string }).csrfToken;
    });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await service?.close();
    await db?.cleanup();
  });

  const blockedIps = async () => (await service.services.blocks.list()).map((b) => b.ip);

  it(
    'a page on another origin cannot block an IP or read blocks with the admin cookie',
    async () => {
      const page = await context.newPage();
      // The form's POST loads into the page's iframe: its answer is the proof it was sent.
      const formAnswer = page.waitForResponse(
        (res) =>
          res.request().resourceType() === 'document' &&
          res.url() === `${service.url}/api/admin/blocks`,
      );
      await page.goto(`${evilUrl}/?ip=198.51.100.31`);
      expect([403, 415]).toContain((await formAnswer).status());
      await page.waitForFunction(
        () => (globalThis as unknown as { results: { done?: boolean } }).results.done,
      );
      const results = await page.evaluate(
        () => (globalThis as unknown as { results: Record<string, unknown> }).results,
      );
      expect(results.read).toBe('blocked');
      expect(results.json).toBe('blocked');
      expect(await blockedIps()).not.toContain('198.51.100.31');
      await page.close();
    },
    TIMEOUT_MS,
  );

  it(
    'a forged request from the dashboard origin with the cookie but a missing, guessed or other session token is refused',
    async () => {
      const page = await context.newPage();
      await page.goto(`${service.url}/admin/`);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      const other = await fetch(`${service.url}/api/admin/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      const otherToken = ((await other.json()) as { csrfToken: string }).csrfToken;
      const attempt = (token: string | null, ip: string) =>
        page.evaluate(
          async ({ token, ip }) => {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (token !== null) headers['x-csrf-token'] = token;
            const res = await fetch('/api/admin/blocks', {
              method: 'POST',
              headers,
              body: JSON.stringify({ ip, reason: 'forged', durationSeconds: 600 }),
            });
            return res.status;
          },
          { token, ip },
        );
      expect(await attempt(null, '198.51.100.32')).toBe(403);
      expect(await attempt('A'.repeat(43), '198.51.100.33')).toBe(403);
      expect(await attempt(otherToken, '198.51.100.34')).toBe(403);
      for (const ip of ['198.51.100.32', '198.51.100.33', '198.51.100.34'])
        expect(await blockedIps()).not.toContain(ip);
      // The same call with the session's own token works: the refusals above are the token's.
      expect(await attempt(csrfToken, '198.51.100.35')).toBe(201);
      expect(await blockedIps()).toContain('198.51.100.35');
      await page.close();
    },
    TIMEOUT_MS,
  );
});
